/**
 * The checks of a SAML Web SSO response that `@node-saml/node-saml` leaves to its caller:
 * Destination, the bearer SubjectConfirmation (Recipient, InResponseTo, NotOnOrAfter) and the
 * assertion ID for replay detection. They read the assertion node-saml returns after verifying
 * its signature (the signed content only, so a wrapped copy elsewhere in the XML is never read).
 * @see SAML 2.0 Profiles §4.1.4.2 and §4.1.4.3, SAML 2.0 Core §3.2.2
 */
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import type { XmlElementLike } from './saml-library.js';

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** An element as xml2js gives it: attributes in `$`, text in `_`, children by local name. */
type XmlJsNode = { readonly $?: Readonly<Record<string, string>>; readonly _?: string } & {
  readonly [child: string]: unknown;
};

function children(node: XmlJsNode | undefined, name: string): XmlJsNode[] {
  const list = node?.[name];
  return Array.isArray(list) ? (list as XmlJsNode[]) : [];
}

function reject(message: string): never {
  throw new RwsError(ERROR_CODES.SAML_RESPONSE_INVALID, `SAMLResponse rejected: ${message}`, {
    status: 401,
  });
}

function instant(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) reject(`${name} is not a date`);
  return ms;
}

/** What a login needs to know about the checked assertion. */
export interface CheckedAssertion {
  /** The assertion's ID, for replay detection. */
  readonly id: string;
  /** When the assertion stops being usable (ms since the epoch): its replay-cache lifetime. */
  readonly usableUntil: number;
}

/** What the assertion must say. */
export interface AssertionExpectations {
  /** The ACS URL: `Recipient` must be it. */
  readonly acsUrl: string;
  /** The ID of this browser's AuthnRequest, or null for an unsolicited response. */
  readonly inResponseTo: string | null;
  readonly toleranceMs: number;
  readonly nowMs: number;
}

/**
 * Checks the protocol envelope (the `<samlp:Response>` root): a `Destination` must be the ACS
 * URL, an `InResponseTo` must be the request this browser sent.
 */
export function checkResponseEnvelope(
  root: XmlElementLike | null,
  acsUrl: string,
  inResponseTo: string | null,
): void {
  if (root === null || root.localName !== 'Response') reject('it is not a samlp:Response');
  const destination = root.getAttribute('Destination');
  if (destination !== null && destination !== '' && destination !== acsUrl)
    reject(`Destination is not this ACS URL (${acsUrl})`);
  const answered = root.getAttribute('InResponseTo');
  if (answered !== null && answered !== '' && answered !== inResponseTo)
    reject('InResponseTo does not answer the AuthnRequest of this browser');
}

/**
 * Checks the signed assertion (as xml2js parsed it for node-saml): one bearer
 * SubjectConfirmation must name this ACS URL as `Recipient`, answer this browser's request
 * (`InResponseTo`, absent only when unsolicited) and be within `NotBefore`/`NotOnOrAfter`
 * (with tolerance; `NotOnOrAfter` is required for bearer confirmations).
 */
export function checkBearerAssertion(
  parsed: Record<string, unknown> | undefined,
  expect: AssertionExpectations,
): CheckedAssertion {
  const assertion = parsed?.['Assertion'] as XmlJsNode | undefined;
  const id = assertion?.$?.['ID'];
  if (id === undefined || id === '') reject('the assertion has no ID');
  const confirmations = children(children(assertion, 'Subject')[0], 'SubjectConfirmation')
    .filter((c) => c.$?.['Method'] === BEARER)
    .map((c) => children(c, 'SubjectConfirmationData')[0]?.$ ?? {});
  if (confirmations.length === 0) reject('the assertion has no bearer SubjectConfirmation');
  const forUs = confirmations.filter((d) => d['Recipient'] === expect.acsUrl);
  if (forUs.length === 0) reject(`no SubjectConfirmation names this ACS URL as Recipient`);
  const answering = forUs.filter((d) => (d['InResponseTo'] ?? null) === expect.inResponseTo);
  if (answering.length === 0)
    reject('InResponseTo does not answer the AuthnRequest of this browser');
  let usableUntil: number | undefined;
  for (const data of answering) {
    const notBefore = instant(data['NotBefore'], 'NotBefore');
    const notOnOrAfter = instant(data['NotOnOrAfter'], 'NotOnOrAfter');
    if (notOnOrAfter === undefined) continue;
    if (notBefore !== undefined && expect.nowMs + expect.toleranceMs < notBefore) continue;
    if (expect.nowMs - expect.toleranceMs >= notOnOrAfter) continue;
    usableUntil = notOnOrAfter + expect.toleranceMs;
    break;
  }
  if (usableUntil === undefined)
    reject('the SubjectConfirmation is expired, not yet valid or has no NotOnOrAfter');
  const conditions = children(assertion, 'Conditions')[0]?.$?.['NotOnOrAfter'];
  const conditionsEnd = instant(conditions, 'Conditions NotOnOrAfter');
  if (conditionsEnd !== undefined)
    usableUntil = Math.min(usableUntil, conditionsEnd + expect.toleranceMs);
  return { id, usableUntil };
}
