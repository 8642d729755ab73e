/**
 * Reading SAML protocol messages as they travel (HTTP-Redirect: deflated, base64, in the query;
 * HTTP-POST: base64 in a form field) and the short-lived cookies that tie a message this SP
 * sent to the browser that will bring back the answer.
 * @see SAML 2.0 Bindings §3.4.4.1 (DEFLATE encoding) and §3.5.4 (POST form)
 */
import { inflateRawSync } from 'node:zlib';
import { parseCookies, type Request, serializeCookie } from '@rws/core';
import type { SamlLibraries, XmlElementLike } from './saml-library.js';

/** Parses XML that a SAML library already accepted or produced; returns the root element. */
export function rootElement(lib: SamlLibraries, xml: string): XmlElementLike | null {
  const fail = (msg: string): never => {
    throw new Error(`XML: ${msg}`);
  };
  const parser = new lib.DOMParser({
    errorHandler: { warning: () => {}, error: fail, fatalError: fail },
  });
  return parser.parseFromString(xml, 'text/xml').documentElement;
}

/** The XML of a message sent with the HTTP-Redirect binding (`SAMLRequest`/`SAMLResponse`). */
export function redirectMessageXml(encoded: string): string {
  // A bound on the inflated size: a tiny deflate stream must not expand into gigabytes.
  return inflateRawSync(Buffer.from(encoded, 'base64'), { maxOutputLength: 1 << 20 }).toString(
    'utf8',
  );
}

/** The XML of a message sent with the HTTP-POST binding. */
export function postMessageXml(encoded: string): string {
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/** The `ID` of the request in a redirect URL this SP just built (`SAMLRequest` parameter). */
export function requestIdOf(lib: SamlLibraries, url: string): string {
  const encoded = new URL(url).searchParams.get('SAMLRequest');
  const id =
    encoded === null ? null : rootElement(lib, redirectMessageXml(encoded))?.getAttribute('ID');
  if (id === null || id === undefined || id === '')
    throw new Error('built a request without an ID');
  return id;
}

/** The attributes of the cookies that carry a request ID across the IdP round trip. */
export interface FlightCookie {
  readonly name: string;
  readonly path: string;
  /**
   * `SameSite=None; Secure` where browsers allow it (https, or http on localhost), so the
   * IdP's cross-site POST back carries it; `Lax` otherwise.
   */
  readonly isCrossSite: boolean;
  readonly maxAgeSec: number;
}

/** A `Set-Cookie` value that stores `value` in the flight cookie (or clears it with null). */
export function flightCookie(cookie: FlightCookie, value: string | null): string {
  return serializeCookie(cookie.name, value ?? '', {
    path: cookie.path,
    httpOnly: true,
    ...(cookie.isCrossSite ? { sameSite: 'None', secure: true } : { sameSite: 'Lax' }),
    maxAge: value === null ? 0 : cookie.maxAgeSec,
  });
}

/** The value of a flight cookie the request carries, or null. */
export function readFlightCookie(req: Request, name: string): string | null {
  const value = parseCookies(req.headers.get('cookie'))[name];
  return value === undefined || value === '' ? null : value;
}

/** Whether browsers accept a `Secure` cookie from this origin (https, or localhost). */
export function allowsSecureCookie(origin: URL): boolean {
  if (origin.protocol === 'https:') return true;
  const host = origin.hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}
