import { createHash, createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { ERROR_CODES, MailerError } from './errors.js';

/** DKIM signing options (one signature per message). */
export interface DkimOptions {
  /** The signing domain, `d=`. */
  domainName: string;
  /** The selector, `s=`: the key is published at `<selector>._domainkey.<domain>`. */
  keySelector: string;
  /** An RSA (2048 bits or more recommended) or Ed25519 private key, PEM or KeyObject. */
  privateKey: string | KeyObject;
  /** Header fields to sign (lower case). Default: the usual originator and content fields. */
  headerFields?: readonly string[] | undefined;
}

const DEFAULT_FIELDS = [
  'from',
  'sender',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'to',
  'cc',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
];

/**
 * Relaxed body canonicalisation: runs of WSP become one SP, WSP at line ends goes, empty lines
 * at the end go, and a non-empty body ends with CRLF.
 * @see RFC 6376 §3.4.4
 */
function canonicalizeBodyRelaxed(body: Buffer): Buffer {
  const lines = body.toString('latin1').split('\r\n');
  const out = lines.map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.length === 0 ? Buffer.alloc(0) : Buffer.from(`${out.join('\r\n')}\r\n`, 'latin1');
}

/** Relaxed header canonicalisation of one field, without the CRLF. @see RFC 6376 §3.4.2 */
function canonicalizeHeaderRelaxed(name: string, value: string): string {
  const v = value
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${name.toLowerCase().trim()}:${v}`;
}

/**
 * Computes a DKIM-Signature header field (relaxed/relaxed) over `headers` and `body`, with
 * rsa-sha256 or ed25519-sha256 according to the key type. Returns `[name, value]` to put
 * before the other headers.
 * @see RFC 6376 §3.5, §5; RFC 8463 (Ed25519)
 */
export function dkimSign(
  headers: ReadonlyArray<readonly [string, string]>,
  body: Buffer,
  options: DkimOptions,
  now: Date = new Date(),
): [string, string] {
  const key =
    typeof options.privateKey === 'string'
      ? createPrivateKey(options.privateKey)
      : options.privateKey;
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519')
    throw new MailerError(
      ERROR_CODES.INVALID_CONFIG,
      `dkim.privateKey: unsupported key type ${String(type)}`,
    );
  for (const v of [options.domainName, options.keySelector])
    if (!/^[A-Za-z0-9._-]+$/.test(v))
      throw new MailerError(
        ERROR_CODES.INVALID_CONFIG,
        `dkim: invalid domain or selector ${JSON.stringify(v)}`,
      );
  const bh = createHash('sha256').update(canonicalizeBodyRelaxed(body)).digest('base64');
  const wanted = new Set((options.headerFields ?? DEFAULT_FIELDS).map((f) => f.toLowerCase()));
  // Sign the last instance of each field present, as a verifier reads them bottom-up (§5.4.2).
  const byName = new Map<string, readonly [string, string]>();
  for (const h of headers) if (wanted.has(h[0].toLowerCase())) byName.set(h[0].toLowerCase(), h);
  const names = [...byName.keys()];
  const algorithm = type === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256';
  const value =
    `v=1; a=${algorithm}; c=relaxed/relaxed; d=${options.domainName}; s=${options.keySelector}; ` +
    `t=${Math.floor(now.getTime() / 1000)}; h=${names.join(':')}; bh=${bh}; b=`;
  let data = '';
  for (const name of names) {
    const h = byName.get(name) as readonly [string, string];
    data += `${canonicalizeHeaderRelaxed(h[0], h[1])}\r\n`;
  }
  data += canonicalizeHeaderRelaxed('DKIM-Signature', value);
  const signature =
    type === 'rsa'
      ? sign('sha256', Buffer.from(data), key)
      : sign(null, createHash('sha256').update(data).digest(), key);
  return ['DKIM-Signature', value + signature.toString('base64')];
}
