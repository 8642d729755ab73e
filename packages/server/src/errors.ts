/**
 * Every error code @rws/server throws. docs/errors.md lists the same codes; a test keeps the
 * two in step.
 */
export const ERROR_CODES = {
  INVALID_OPTIONS: 'RWS_SERVER_INVALID_OPTIONS',
  TLS_LOAD_FAILED: 'RWS_SERVER_TLS_LOAD_FAILED',
  LISTEN_FAILED: 'RWS_SERVER_LISTEN_FAILED',
  RELOAD_NEEDS_RESTART: 'RWS_SERVER_RELOAD_NEEDS_RESTART',
  CLOSED: 'RWS_SERVER_CLOSED',
  WORKER_FAILED: 'RWS_SERVER_WORKER_FAILED',
  ACME_PROBLEM: 'RWS_SERVER_ACME_PROBLEM',
  ACME_CHALLENGE_FAILED: 'RWS_SERVER_ACME_CHALLENGE_FAILED',
  ACME_ORDER_FAILED: 'RWS_SERVER_ACME_ORDER_FAILED',
  ACME_STORE_FAILED: 'RWS_SERVER_ACME_STORE_FAILED',
  OCSP_FAILED: 'RWS_SERVER_OCSP_FAILED',
  CERTIFICATE_REVOKED: 'RWS_SERVER_CERTIFICATE_REVOKED',
} as const;

/** A code @rws/server throws. */
export type ServerErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<ServerErrorCode, string>> = {
  RWS_SERVER_INVALID_OPTIONS:
    'serve() or reload() got an invalid option (port, host, graceMs, workers, TLS file pairs, health paths); the message names every bad key.',
  RWS_SERVER_TLS_LOAD_FAILED:
    'A TLS certificate, key or client CA file could not be read or parsed; on reload the previous certificates stay in use.',
  RWS_SERVER_LISTEN_FAILED:
    'A listener (main, HTTP redirect or admin) could not bind its address; the message says why (port in use, not a local address, port needs privileges) and `cause` is the node error (`cause.code`: `EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`, …).',
  RWS_SERVER_RELOAD_NEEDS_RESTART:
    'reload() changed an option that applies only at start (host, port, TLS on/off, mTLS on/off, httpRedirectPort, workers); nothing was changed.',
  RWS_SERVER_CLOSED:
    'reload() or reloadCertificates() was called on a server that is closing or closed.',
  RWS_SERVER_WORKER_FAILED:
    'A cluster worker exited: before listening (serve() in the primary rejects), or later (reported through onError while it is restarted).',
  RWS_SERVER_ACME_PROBLEM:
    "The ACME server answered a request with an error (an RFC 7807 problem document, or an unexpected status); the message names the URL, the problem type and the CA's detail, and `problem` holds the document.",
  RWS_SERVER_ACME_CHALLENGE_FAILED:
    'The CA could not validate a challenge: the message names the domain, the challenge type (http-01, tls-alpn-01, dns-01) and what the CA reported (or why the DNS provider could not publish the record); the old certificate stays in use.',
  RWS_SERVER_ACME_ORDER_FAILED:
    'An ACME order did not reach `valid` (no usable challenge offered, the order became invalid, or polling timed out); the message names the domains.',
  RWS_SERVER_ACME_STORE_FAILED:
    'The certificate store could not read or write the account key, a certificate or a lock (the message names the path and the system error).',
  RWS_SERVER_OCSP_FAILED:
    'OCSP stapling could not get a usable response for a certificate (responder unreachable or slow, HTTP error, responder status other than successful, bad signature, expired, or status unknown); reported through onError, retried with back-off, and handshakes go on (with the previous response while it is still valid).',
  RWS_SERVER_CERTIFICATE_REVOKED:
    "The certificate's OCSP responder says it is revoked (reported through onError; the revoked status is stapled so clients see it): replace the certificate.",
};
