/**
 * The SingleLogoutService route: LogoutRequests from the IdP (IdP-initiated logout, or another
 * SP's) and LogoutResponses answering this SP's own LogoutRequest, over the HTTP-Redirect and
 * HTTP-POST bindings. Every message must be signed by the IdP.
 * @see SAML 2.0 Profiles §4.4 (Single Logout), Bindings §3.4.4.1 (query signature)
 */
import { type Request, type Response, RwsError, redirect } from '@rws/core';
import type { Session } from '@rws/middleware/session';
import { ERROR_CODES } from '../errors.js';
import type { NodeSamlInstance, NodeSamlResult, SamlLibraries } from './saml-library.js';
import {
  type FlightCookie,
  flightCookie,
  postMessageXml,
  readFlightCookie,
  redirectMessageXml,
  rootElement,
} from './saml-messages.js';
import type { SamlAttributes, SamlLogoutRequest } from './types.js';

/** A finished login as kept in the session (under `sessionKey`). */
export interface StoredSamlLogin {
  nameId: string;
  nameIdFormat?: string | undefined;
  nameQualifier?: string | undefined;
  spNameQualifier?: string | undefined;
  sessionIndex?: string | undefined;
  issuer: string;
  attributes: SamlAttributes;
  loggedInAt: number;
}

/** What the SLO route needs from `samlLogin()`. */
export interface SloContext {
  readonly engine: () => Promise<{ lib: SamlLibraries; saml: NodeSamlInstance }>;
  readonly sessionKey: string;
  readonly logoutCookie: FlightCookie;
  readonly sloUrl: string;
  readonly afterLogout: string;
  /** Whether the IdP has an SLO URL to send LogoutResponses to. */
  readonly hasIdpSlo: boolean;
  readonly onLogoutRequest: ((request: SamlLogoutRequest) => void | Promise<void>) | undefined;
  readonly maxFormBytes: number;
}

function reject(message: string, cause?: unknown): never {
  throw new RwsError(ERROR_CODES.SAML_LOGOUT_INVALID, `SLO: ${message}`, { status: 400, cause });
}

interface Received {
  readonly xml: string;
  readonly result: NodeSamlResult;
  readonly relayState: string | null;
}

async function receive(req: Request, saml: NodeSamlInstance, maxBytes: number): Promise<Received> {
  if (req.method === 'GET') {
    const q = req.query;
    const message = q.get('SAMLRequest') ?? q.get('SAMLResponse');
    if (message === null) reject('the request carries no SAMLRequest or SAMLResponse');
    // node-saml accepts a redirect-bound message without a Signature; a logout must be signed,
    // or any page could end a user's session (or fake the end of a logout).
    if (q.get('Signature') === null || q.get('SigAlg') === null)
      reject('the redirect-bound message has no Signature');
    const rawQuery = req.target.slice(req.target.indexOf('?') + 1);
    const xml = redirectMessageXml(message);
    const result = await saml.validateRedirectAsync(Object.fromEntries(q), rawQuery);
    return { xml, result, relayState: q.get('RelayState') };
  }
  const form = await req.body.form({ limit: maxBytes });
  const relayState = form.get('RelayState');
  const request = form.get('SAMLRequest');
  if (request !== null) {
    const result = await saml.validatePostRequestAsync({ SAMLRequest: request });
    return { xml: postMessageXml(request), result, relayState };
  }
  const response = form.get('SAMLResponse');
  if (response === null) reject('the POST carries no SAMLRequest or SAMLResponse');
  const result = await saml.validatePostResponseAsync({ SAMLResponse: response });
  return { xml: postMessageXml(response), result, relayState };
}

/** Answers the SLO route (GET: HTTP-Redirect binding, POST: HTTP-POST binding). */
export async function handleSlo(req: Request, s: Session, ctx: SloContext): Promise<Response> {
  const { lib, saml } = await ctx.engine();
  let received: Received;
  try {
    received = await receive(req, saml, ctx.maxFormBytes);
  } catch (err) {
    if (err instanceof RwsError) throw err;
    reject(`the message was refused: ${(err as Error).message}`, err);
  }
  const root = rootElement(lib, received.xml);
  // xmldom answers '' for an absent attribute.
  const destination = root?.getAttribute('Destination') ?? '';
  if (destination !== '' && destination !== ctx.sloUrl)
    reject(`Destination is not this SLO URL (${ctx.sloUrl})`);

  if (root?.localName === 'LogoutResponse') {
    if (!received.result.loggedOut) reject('the LogoutResponse does not report a logout');
    // It must answer the LogoutRequest this browser was sent with, not any other.
    const expected = readFlightCookie(req, ctx.logoutCookie.name);
    if (expected === null || root.getAttribute('InResponseTo') !== expected)
      reject('the LogoutResponse answers no logout of this browser');
    const res = redirect(ctx.afterLogout, 302, { headers: { 'cache-control': 'no-store' } });
    res.headers.append('set-cookie', flightCookie(ctx.logoutCookie, null));
    return res;
  }

  const profile = received.result.profile;
  if (root?.localName !== 'LogoutRequest' || profile === null || profile.ID === undefined)
    reject('the message is neither a LogoutRequest nor a LogoutResponse');
  const nameId = profile.nameID ?? '';
  const stored = s.get<StoredSamlLogin>(ctx.sessionKey);
  // SAML Core §3.7.3.2: end the sessions of that principal (and that session index, if named).
  if (
    stored !== undefined &&
    stored.nameId === nameId &&
    (profile.sessionIndex === undefined ||
      stored.sessionIndex === undefined ||
      stored.sessionIndex === profile.sessionIndex)
  ) {
    s.destroy();
  }
  await ctx.onLogoutRequest?.({ id: profile.ID, nameId, sessionIndex: profile.sessionIndex });
  if (!ctx.hasIdpSlo) return redirect(ctx.afterLogout, 302);
  const url = await saml.getLogoutResponseUrlAsync(profile, received.relayState ?? '', {}, true);
  return redirect(url, 302, { headers: { 'cache-control': 'no-store' } });
}
