import {
  type Handler,
  type Middleware,
  type Request,
  type Response,
  RwsError,
  redirect,
  text,
} from '@rws/core';
import { getSession, type Session } from '@rws/middleware/session';
import { ERROR_CODES } from '../errors.js';
import {
  checkRoutePath,
  completeLogin,
  createUserSlot,
  logoutRoute,
  requestedReturnTo,
  requireUserMiddleware,
} from '../internal/login-middleware.js';
import { safeReturnTo } from '../internal/return-to.js';
import { checkBearerAssertion, checkResponseEnvelope } from './assertion-checks.js';
import { createMemoryReplayCache, type SamlReplayCache } from './replay-cache.js';
import {
  loadSamlLibraries,
  type NodeSamlInstance,
  type NodeSamlProfile,
  type SamlLibraries,
} from './saml-library.js';
import {
  allowsSecureCookie,
  type FlightCookie,
  flightCookie,
  postMessageXml,
  readFlightCookie,
  requestIdOf,
  rootElement,
} from './saml-messages.js';
import { handleSlo, type SloContext, type StoredSamlLogin } from './single-logout.js';
import type {
  SamlAttributes,
  SamlIdentityProvider,
  SamlKeyPair,
  SamlLogoutRequest,
  SamlRoutes,
  SamlUser,
} from './types.js';

/** Options of `samlLogin()`. */
export interface SamlLoginOptions {
  /** The IdP to trust. */
  idp: SamlIdentityProvider;
  /**
   * The SP's public origin (`https://app.example.com`): the ACS, SLO and metadata URLs are
   * this plus their routes. Required, because SAML messages name exact URLs.
   */
  baseUrl: string;
  /** The SP entity ID (the audience assertions must name). Default: the metadata URL. */
  entityId?: string | undefined;
  /** Signs AuthnRequests, LogoutRequests and LogoutResponses (HTTP-Redirect query signature). */
  signing?: SamlKeyPair | undefined;
  /** Decrypts encrypted assertions; its certificate is published for encryption. */
  decryption?: SamlKeyPair | undefined;
  /** Digest of request signatures. Default `sha256`. */
  signatureAlgorithm?: 'sha256' | 'sha512' | undefined;
  /** Require the assertion itself to be signed. Default true. */
  wantAssertionsSigned?: boolean | undefined;
  /** Require the whole Response to be signed. Default false (most IdPs sign the assertion). */
  wantResponseSigned?: boolean | undefined;
  /** The NameID format to ask for. Default: none asked (the IdP's choice). */
  nameIdFormat?: string | undefined;
  /** Ask the IdP to authenticate the user again even with a session there. Default false. */
  forceAuthn?: boolean | undefined;
  /**
   * Accept IdP-initiated logins (a response that answers no request of this browser). Default
   * false: such a response could be one an attacker got for their own account.
   */
  allowUnsolicited?: boolean | undefined;
  routes?: SamlRoutes | undefined;
  /** Where to go after login without `returnTo`, and after logout. Default `/`. */
  defaultReturnTo?: string | undefined;
  /** Clock tolerance for NotBefore/NotOnOrAfter, in seconds. Default 30. */
  clockToleranceSec?: number | undefined;
  /** Session key of the login. Default `rws.saml`. */
  sessionKey?: string | undefined;
  /** How long a started login or logout may take, in milliseconds. Default 600000. */
  loginTimeoutMs?: number | undefined;
  /** Used assertion IDs. Default: `createMemoryReplayCache()` (one process). */
  replayCache?: SamlReplayCache | undefined;
  /**
   * Called for each verified IdP-initiated LogoutRequest. The browser's own session is ended
   * already when it carried its cookie; end the user's other sessions here.
   */
  onLogoutRequest?: ((request: SamlLogoutRequest) => void | Promise<void>) | undefined;
  /** The peer libraries; default: imported from `@node-saml/node-saml` and `@xmldom/xmldom`. */
  lib?: SamlLibraries | undefined;
}

/** The login middleware plus what handlers call on it. */
export interface SamlLogin extends Middleware {
  /** A middleware that lets only logged-in users through (login redirect for pages, else 401). */
  requireUser(): Middleware;
  /** The SP metadata XML (what the metadata route answers). */
  metadata(): Promise<string>;
}

const users = createUserSlot<SamlUser>(
  ERROR_CODES.SAML_NOT_INSTALLED,
  'getSamlUser(): this request did not pass samlLogin(); add it (after session()) before this handler',
);
/** Bodies of the ACS and SLO routes: a SAMLResponse with a few certificates is far below this. */
const MAX_FORM_BYTES = 512 * 1024;

/**
 * The logged-in user of a request, or null when nobody is logged in. Throws
 * `RWS_IDENTITY_SAML_NOT_INSTALLED` (500) when the request did not pass `samlLogin()`.
 */
export function getSamlUser(req: Request): SamlUser | null {
  return users.get(req);
}

function failOptions(message: string): never {
  throw new RwsError(ERROR_CODES.SAML_INVALID_OPTIONS, `samlLogin: ${message}`);
}

function checkPath(name: string, value: string): string {
  return checkRoutePath(name, value, failOptions);
}

function checkUrl(name: string, value: unknown): string {
  if (typeof value !== 'string' || !URL.canParse(value))
    failOptions(`${name} must be an absolute URL, got ${JSON.stringify(value)}`);
  return value as string;
}

function attributesOf(profile: NodeSamlProfile): SamlAttributes {
  const out: Record<string, string | readonly string[]> = {};
  const asText = (v: unknown): string | null =>
    typeof v === 'string' ? v : v === undefined ? '' : null;
  for (const [name, value] of Object.entries(profile.attributes ?? {})) {
    if (Array.isArray(value)) {
      out[name] = value.map(asText).filter((v): v is string => v !== null);
    } else {
      const single = asText(value);
      if (single !== null) out[name] = single;
    }
  }
  return out;
}

function toUser(stored: StoredSamlLogin): SamlUser {
  return {
    nameId: stored.nameId,
    nameIdFormat: stored.nameIdFormat,
    sessionIndex: stored.sessionIndex,
    issuer: stored.issuer,
    attributes: stored.attributes,
    loggedInAt: stored.loggedInAt,
  };
}

/** Wraps whatever the SAML library threw about a response into the SAML response error. */
function responseRejected(err: unknown): never {
  if (err instanceof RwsError) throw err;
  throw new RwsError(
    ERROR_CODES.SAML_RESPONSE_INVALID,
    `SAMLResponse rejected: ${(err as Error).message}`,
    { status: 401, cause: err },
  );
}

/**
 * A SAML 2.0 service provider as one middleware: SP metadata, login with the HTTP-Redirect
 * binding (AuthnRequest, signed when `signing` is set) and the HTTP-POST binding back to the
 * ACS, signed assertions verified against the IdP certificates by `@node-saml/node-saml`
 * (signature wrapping refused), audience, issuer, Destination, Recipient, InResponseTo and time
 * checks with clock tolerance, single use of each assertion, and single logout in both
 * directions. The login lives in the session, so `session()` from `@rws/middleware/session`
 * must run first. Needs the optional peers `@node-saml/node-saml` and `@xmldom/xmldom`.
 *
 * @example
 * ```ts
 * import { json } from '@rws/core';
 * import { getSamlUser, samlLogin } from '@rws/identity/saml';
 * import { session } from '@rws/middleware/session';
 * import { createApp } from '@rws/router';
 * const login = samlLogin({
 *   baseUrl: 'https://app.example.com',
 *   idp: {
 *     entityId: 'https://idp.example.com/metadata',
 *     ssoUrl: 'https://idp.example.com/sso',
 *     sloUrl: 'https://idp.example.com/slo',
 *     certs: process.env.IDP_CERT ?? '',
 *   },
 * });
 * const app = createApp();
 * app.use(session({ keys: [process.env.SESSION_SECRET ?? ''] }), login);
 * app.get('/me', { middleware: [login.requireUser()] }, (req) => json(getSamlUser(req)));
 * ```
 */
export function samlLogin(options: SamlLoginOptions): SamlLogin {
  if (options === null || typeof options !== 'object') failOptions('options are required');
  const idp = options.idp;
  if (idp === null || typeof idp !== 'object') failOptions('idp is required');
  if (typeof idp.entityId !== 'string' || idp.entityId.length === 0)
    failOptions('idp.entityId is required');
  checkUrl('idp.ssoUrl', idp.ssoUrl);
  if (idp.sloUrl !== undefined) checkUrl('idp.sloUrl', idp.sloUrl);
  const certs = (typeof idp.certs === 'string' ? [idp.certs] : [...(idp.certs ?? [])]).filter(
    (c) => typeof c === 'string' && c.trim().length > 0,
  );
  if (certs.length === 0) failOptions('idp.certs must hold at least one certificate');
  const base = new URL(checkUrl('baseUrl', options.baseUrl));
  if (base.pathname !== '/' || base.search !== '')
    failOptions(`baseUrl must be an origin without a path, got ${JSON.stringify(options.baseUrl)}`);
  const origin = base.origin;
  const routes = {
    metadata: checkPath('metadata', options.routes?.metadata ?? '/saml/metadata'),
    login: checkPath('login', options.routes?.login ?? '/saml/login'),
    acs: checkPath('acs', options.routes?.acs ?? '/saml/acs'),
    slo: checkPath('slo', options.routes?.slo ?? '/saml/slo'),
    logout: checkPath('logout', options.routes?.logout ?? '/saml/logout'),
  };
  const acsUrl = origin + routes.acs;
  const entityId = options.entityId ?? origin + routes.metadata;
  for (const [name, pair] of [
    ['signing', options.signing],
    ['decryption', options.decryption],
  ] as const) {
    if (
      pair !== undefined &&
      (typeof pair.privateKey !== 'string' || typeof pair.cert !== 'string')
    )
      failOptions(`${name} must be { privateKey, cert } (PEM strings)`);
  }
  const clockToleranceSec = options.clockToleranceSec ?? 30;
  if (!Number.isFinite(clockToleranceSec) || clockToleranceSec < 0)
    failOptions('clockToleranceSec must be a number >= 0');
  const loginTimeoutMs = options.loginTimeoutMs ?? 600_000;
  if (!Number.isFinite(loginTimeoutMs) || loginTimeoutMs < 1000)
    failOptions('loginTimeoutMs must be a number >= 1000');
  const defaultReturnTo = safeReturnTo(options.defaultReturnTo, '/');
  const sessionKey = options.sessionKey ?? 'rws.saml';
  const replayCache = options.replayCache ?? createMemoryReplayCache();
  const isCrossSite = allowsSecureCookie(base);
  const maxAgeSec = Math.ceil(loginTimeoutMs / 1000);
  const loginCookie: FlightCookie = {
    name: 'rws.saml.login',
    path: routes.acs,
    isCrossSite,
    maxAgeSec,
  };
  const logoutCookie: FlightCookie = {
    name: 'rws.saml.logout',
    path: routes.slo,
    isCrossSite,
    maxAgeSec,
  };

  let ready: Promise<{ lib: SamlLibraries; saml: NodeSamlInstance }> | null = null;
  function engine(): Promise<{ lib: SamlLibraries; saml: NodeSamlInstance }> {
    ready ??= (async () => {
      const lib = options.lib ?? (await loadSamlLibraries());
      const saml = new lib.SAML({
        issuer: entityId,
        audience: entityId,
        callbackUrl: acsUrl,
        logoutCallbackUrl: origin + routes.slo,
        entryPoint: idp.ssoUrl,
        logoutUrl: idp.sloUrl ?? idp.ssoUrl,
        idpIssuer: idp.entityId,
        idpCert: certs,
        privateKey: options.signing?.privateKey,
        publicCert: options.signing?.cert,
        decryptionPvk: options.decryption?.privateKey,
        signatureAlgorithm: options.signatureAlgorithm ?? 'sha256',
        wantAssertionsSigned: options.wantAssertionsSigned !== false,
        wantAuthnResponseSigned: options.wantResponseSigned === true,
        acceptedClockSkewMs: clockToleranceSec * 1000,
        // InResponseTo is checked here against this browser's flight cookie, not against
        // node-saml's process-wide cache of request IDs.
        validateInResponseTo: 'never',
        identifierFormat: options.nameIdFormat ?? null,
        forceAuthn: options.forceAuthn === true,
        disableRequestedAuthnContext: true,
      });
      return { lib, saml };
    })();
    ready.catch(() => {
      ready = null;
    });
    return ready;
  }

  async function startLogin(req: Request): Promise<Response> {
    const { lib, saml } = await engine();
    const returnTo = requestedReturnTo(req, defaultReturnTo);
    const url = await saml.getAuthorizeUrlAsync('', undefined, {});
    const id = requestIdOf(lib, url);
    const res = redirect(url, 302, { headers: { 'cache-control': 'no-store' } });
    res.headers.append(
      'set-cookie',
      flightCookie(loginCookie, `${id}.${Buffer.from(returnTo).toString('base64url')}`),
    );
    return res;
  }

  async function acs(req: Request, s: Session): Promise<Response> {
    const form = await req.body.form({ limit: MAX_FORM_BYTES });
    const encoded = form.get('SAMLResponse');
    if (encoded === null || encoded === '') {
      throw new RwsError(ERROR_CODES.SAML_REQUEST_INVALID, 'ACS: the POST has no SAMLResponse', {
        status: 400,
      });
    }
    const flight = readFlightCookie(req, loginCookie.name);
    const dot = flight?.indexOf('.') ?? -1;
    const requestId = flight === null || dot < 1 ? null : flight.slice(0, dot);
    if (requestId === null && options.allowUnsolicited !== true) {
      throw new RwsError(
        ERROR_CODES.SAML_REQUEST_INVALID,
        'ACS: no login is in flight in this browser (the login cookie is missing or expired)',
        { status: 400 },
      );
    }
    const { lib, saml } = await engine();
    const result = await saml
      .validatePostResponseAsync({ SAMLResponse: encoded })
      .catch(responseRejected);
    const profile = result.profile;
    if (profile === null || result.loggedOut)
      responseRejected(new Error('it carries no assertion'));
    if (profile.issuer !== idp.entityId)
      responseRejected(new Error('the assertion Issuer is not the IdP'));
    if (typeof profile.nameID !== 'string' || profile.nameID === '')
      responseRejected(new Error('the assertion has no NameID'));
    try {
      checkResponseEnvelope(rootElement(lib, postMessageXml(encoded)), acsUrl, requestId);
    } catch (err) {
      responseRejected(err);
    }
    const checked = checkBearerAssertion(profile.getAssertion?.(), {
      acsUrl,
      inResponseTo: requestId,
      toleranceMs: clockToleranceSec * 1000,
      nowMs: Date.now(),
    });
    if (!(await replayCache.use(checked.id, checked.usableUntil))) {
      throw new RwsError(
        ERROR_CODES.SAML_ASSERTION_REPLAYED,
        'SAMLResponse rejected: its assertion was already used',
        { status: 401 },
      );
    }
    const stored: StoredSamlLogin = {
      nameId: profile.nameID,
      nameIdFormat: profile.nameIDFormat,
      nameQualifier: profile.nameQualifier,
      spNameQualifier: profile.spNameQualifier,
      sessionIndex: profile.sessionIndex,
      issuer: idp.entityId,
      attributes: attributesOf(profile),
      loggedInAt: Date.now(),
    };
    const returnTo =
      requestId === null
        ? safeReturnTo(form.get('RelayState'), defaultReturnTo)
        : safeReturnTo(
            Buffer.from((flight as string).slice(dot + 1), 'base64url').toString('utf8'),
            defaultReturnTo,
          );
    const res = completeLogin(s, sessionKey, stored, returnTo);
    res.headers.append('set-cookie', flightCookie(loginCookie, null));
    return res;
  }

  async function logout(s: Session): Promise<Response> {
    const stored = s.get<StoredSamlLogin>(sessionKey);
    s.destroy();
    if (stored === undefined || idp.sloUrl === undefined) return redirect(defaultReturnTo, 302);
    const { lib, saml } = await engine();
    // SAML Core §3.7.1: the LogoutRequest names the user and session the IdP vouched for.
    const url = await saml.getLogoutUrlAsync(
      {
        issuer: stored.issuer,
        nameID: stored.nameId,
        nameIDFormat: stored.nameIdFormat,
        nameQualifier: stored.nameQualifier,
        spNameQualifier: stored.spNameQualifier,
        sessionIndex: stored.sessionIndex,
      },
      '',
      {},
    );
    const res = redirect(url, 302, { headers: { 'cache-control': 'no-store' } });
    res.headers.append('set-cookie', flightCookie(logoutCookie, requestIdOf(lib, url)));
    return res;
  }

  const slo: SloContext = {
    engine,
    sessionKey,
    logoutCookie,
    sloUrl: origin + routes.slo,
    afterLogout: defaultReturnTo,
    hasIdpSlo: idp.sloUrl !== undefined,
    onLogoutRequest: options.onLogoutRequest,
    maxFormBytes: MAX_FORM_BYTES,
  };

  const middleware: SamlLogin = {
    async handle(req: Request, next: Handler): Promise<Response> {
      const path = req.path;
      const method = req.method;
      if (path === routes.metadata && (method === 'GET' || method === 'HEAD')) {
        const xml = await middleware.metadata();
        return text(xml, { headers: { 'content-type': 'application/samlmetadata+xml' } });
      }
      if (path === routes.login && method === 'GET') return startLogin(req);
      if (path === routes.acs && method === 'POST') return acs(req, getSession(req));
      if (path === routes.slo && (method === 'GET' || method === 'POST'))
        return handleSlo(req, getSession(req), slo);
      const loggedOut = logoutRoute(req, routes.logout, origin, () => logout(getSession(req)));
      if (loggedOut !== null) return loggedOut;
      const stored = getSession(req).get<StoredSamlLogin>(sessionKey);
      users.set(req, stored === undefined ? null : toUser(stored));
      return next(req);
    },
    requireUser(): Middleware {
      return requireUserMiddleware(
        (req) => getSamlUser(req) !== null,
        routes.login,
        defaultReturnTo,
        ERROR_CODES.SAML_NOT_AUTHENTICATED,
      );
    },
    async metadata(): Promise<string> {
      const { saml } = await engine();
      return saml.generateServiceProviderMetadata(
        options.decryption?.cert ?? null,
        options.signing?.cert ?? null,
      );
    },
  };
  return middleware;
}
