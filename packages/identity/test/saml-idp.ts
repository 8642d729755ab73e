/**
 * A SAML 2.0 identity provider for tests, on node:http: it reads AuthnRequests and
 * LogoutRequests (HTTP-Redirect binding, query signatures checked against the SP certificate),
 * answers logins with an HTTP-POST form to the ACS, signs with xml-crypto (node-saml's own
 * XML-DSig library, maintained by the same project) and sends logout messages with the
 * HTTP-Redirect binding. A test shapes each login answer through `respond` (a tampered, unsigned,
 * wrongly signed or wrapped response).
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, createSign, createVerify, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

// Loaded untyped: the packages' own typings pull in the DOM lib, whose Web types (Headers…)
// clash with the Node-only lib setting of this workspace's typecheck.
interface XmlNode {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  getElementsByTagNameNS(ns: string, local: string): ArrayLike<XmlNode>;
}
const require = createRequire(import.meta.url);
const { DOMParser } = require('@xmldom/xmldom') as {
  DOMParser: new () => {
    parseFromString(xml: string, type: string): { documentElement: XmlNode | null };
  };
};
const { SignedXml } = require('xml-crypto') as {
  SignedXml: new (
    options: Record<string, unknown>,
  ) => {
    addReference(ref: Record<string, unknown>): void;
    computeSignature(xml: string, options: Record<string, unknown>): void;
    getSignedXml(): string;
  };
};

export interface KeyPair {
  readonly privateKey: string;
  readonly cert: string;
}

/** A fresh RSA key and self-signed certificate (openssl, as IdPs' own tooling does). */
export function makeKeyPair(cn: string): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'rws-saml-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { privateKey: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const NS =
  'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';

const id = (): string => `_${randomBytes(16).toString('hex')}`;
const iso = (ms: number): string => new Date(ms).toISOString();
const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Everything a login answer says; tests override single fields. */
export interface AssertionSpec {
  nameId: string;
  attributes: Record<string, string[]>;
  issuer: string;
  audience: string;
  recipient: string;
  destination: string;
  inResponseTo: string | null;
  notBefore: number;
  notOnOrAfter: number;
  sessionIndex: string;
  assertionId: string;
}

/** Signs the element with this ID, placing the signature after its Issuer (schema order). */
export function signElement(xml: string, elementId: string, key: KeyPair): string {
  const sig = new SignedXml({
    privateKey: key.privateKey,
    publicCert: key.cert,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  sig.addReference({
    xpath: `//*[@ID='${elementId}']`,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', EXC_C14N],
  });
  sig.computeSignature(xml, {
    location: { reference: `//*[@ID='${elementId}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

/** The `<saml:Assertion>` of a spec, unsigned. */
export function assertionXml(spec: AssertionSpec): string {
  const irt = spec.inResponseTo === null ? '' : ` InResponseTo="${spec.inResponseTo}"`;
  const attrs = Object.entries(spec.attributes)
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${esc(name)}">${values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`,
    )
    .join('');
  return (
    `<saml:Assertion ${NS} ID="${spec.assertionId}" Version="2.0" IssueInstant="${iso(spec.notBefore)}">` +
    `<saml:Issuer>${esc(spec.issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${esc(spec.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${irt} NotOnOrAfter="${iso(spec.notOnOrAfter)}" Recipient="${esc(spec.recipient)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(spec.notBefore)}" NotOnOrAfter="${iso(spec.notOnOrAfter)}"><saml:AudienceRestriction><saml:Audience>${esc(spec.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(spec.notBefore)}" SessionIndex="${spec.sessionIndex}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attrs === '' ? '' : `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>`) +
    '</saml:Assertion>'
  );
}

/** A `<samlp:Response>` around the given assertion XML (signed or not). */
export function responseXml(
  spec: AssertionSpec,
  assertion: string,
  responseId: string = id(),
): string {
  const irt = spec.inResponseTo === null ? '' : ` InResponseTo="${spec.inResponseTo}"`;
  return (
    `<samlp:Response ${NS} ID="${responseId}" Version="2.0" IssueInstant="${iso(Date.now())}" Destination="${esc(spec.destination)}"${irt}>` +
    `<saml:Issuer>${esc(spec.issuer)}</saml:Issuer>` +
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
    assertion +
    '</samlp:Response>'
  );
}

const { encrypt } = require('xml-encryption') as {
  encrypt(
    content: string,
    options: Record<string, unknown>,
    callback: (err: Error | null, result: string) => void,
  ): void;
};

/** An `<saml:EncryptedAssertion>` of this (signed) assertion, for the SP's encryption cert. */
export function encryptAssertion(assertion: string, spEncryptionCert: string): Promise<string> {
  return new Promise((resolve, reject) => {
    encrypt(
      assertion,
      {
        rsa_pub: createPublicKey(spEncryptionCert).export({ type: 'spki', format: 'pem' }),
        pem: spEncryptionCert,
        encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
        keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
        disallowEncryptionWithInsecureAlgorithm: true,
      },
      (err, result) =>
        err === null
          ? resolve(`<saml:EncryptedAssertion>${result}</saml:EncryptedAssertion>`)
          : reject(err),
    );
  });
}

/** The AuthnRequest the IdP received, as it read it. */
export interface AuthnRequestSeen {
  readonly id: string;
  readonly issuer: string;
  readonly acsUrl: string;
  readonly relayState: string | null;
  /** The query signature verified against the SP certificate (null: the request was unsigned). */
  readonly isSignatureValid: boolean | null;
}

/** How the IdP answers one login: the XML to post as SAMLResponse (base64 is done here). */
export type Respond = (
  spec: AssertionSpec,
  request: AuthnRequestSeen,
  idp: TestIdp,
) => string | Promise<string>;

export interface TestIdp {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly sloUrl: string;
  readonly key: KeyPair;
  /** The SP, as the IdP knows it from its metadata. */
  sp: { entityId: string; acsUrl: string; sloUrl: string; cert: string | null };
  respond: Respond;
  /** Fields of the next logins' assertion spec; `nameId` ada by default. */
  user: Partial<AssertionSpec>;
  readonly authnRequests: AuthnRequestSeen[];
  readonly logoutRequests: {
    id: string;
    nameId: string;
    sessionIndex: string | null;
    isSignatureValid: boolean | null;
  }[];
  readonly logoutResponses: {
    inResponseTo: string;
    status: string;
    isSignatureValid: boolean | null;
  }[];
  /** The default spec for a request (valid, signed by this IdP when posted by `respond`). */
  specFor(request: AuthnRequestSeen | null): AssertionSpec;
  /** A redirect-binding URL to the SP's SLO carrying this message (signed with `key` unless null). */
  redirectTo(
    url: string,
    param: 'SAMLRequest' | 'SAMLResponse',
    xml: string,
    key: KeyPair | null,
    relayState?: string,
  ): string;
  /** The XML of an IdP-initiated LogoutRequest. */
  logoutRequestXml(nameId: string, sessionIndex: string | null): string;
  close(): Promise<void>;
}

/** The default answer: a response whose assertion is signed by the IdP. */
export function signedAssertion(spec: AssertionSpec, _request: unknown, idp: TestIdp): string {
  return responseXml(spec, signElement(assertionXml(spec), spec.assertionId, idp.key));
}

function verifyQuery(raw: string, param: string, cert: string | null): boolean | null {
  const tokens = raw.split('&');
  const get = (k: string) => tokens.find((t) => t.startsWith(`${k}=`));
  const signature = get('Signature');
  if (signature === undefined || cert === null) return null;
  const signed = [get(param), get('RelayState'), get('SigAlg')]
    .filter((t) => t !== undefined)
    .join('&');
  const verifier = createVerify('RSA-SHA256');
  verifier.update(signed);
  return verifier.verify(cert, decodeURIComponent(signature.slice('Signature='.length)), 'base64');
}

function readMessage(encoded: string) {
  const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  if (root === null) throw new Error('no XML');
  const text = (local: string) => root.getElementsByTagNameNS('*', local)[0]?.textContent ?? null;
  return { root, text };
}

export async function startIdp(sp: TestIdp['sp']): Promise<TestIdp> {
  const key = makeKeyPair('test-idp');
  let server: Server | null = null;
  const idp: TestIdp = {
    entityId: '',
    ssoUrl: '',
    sloUrl: '',
    key,
    sp,
    respond: signedAssertion,
    user: {},
    authnRequests: [],
    logoutRequests: [],
    logoutResponses: [],
    specFor(request) {
      const now = Date.now();
      return {
        nameId: 'ada@example.com',
        attributes: { email: ['ada@example.com'], groups: ['staff', 'admins'] },
        issuer: idp.entityId,
        audience: idp.sp.entityId,
        recipient: idp.sp.acsUrl,
        destination: idp.sp.acsUrl,
        inResponseTo: request?.id ?? null,
        notBefore: now - 1000,
        notOnOrAfter: now + 5 * 60_000,
        sessionIndex: id(),
        assertionId: id(),
        ...idp.user,
      };
    },
    redirectTo(url, param, xml, signWith, relayState) {
      let query = `${param}=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
      if (relayState !== undefined) query += `&RelayState=${encodeURIComponent(relayState)}`;
      if (signWith !== null) {
        query += `&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
        const signer = createSign('RSA-SHA256');
        signer.update(query);
        query += `&Signature=${encodeURIComponent(signer.sign(signWith.privateKey, 'base64'))}`;
      }
      return `${url}?${query}`;
    },
    logoutRequestXml(nameId, sessionIndex) {
      return (
        `<samlp:LogoutRequest ${NS} ID="${id()}" Version="2.0" IssueInstant="${iso(Date.now())}" Destination="${esc(idp.sp.sloUrl)}">` +
        `<saml:Issuer>${esc(idp.entityId)}</saml:Issuer><saml:NameID>${esc(nameId)}</saml:NameID>` +
        (sessionIndex === null ? '' : `<samlp:SessionIndex>${sessionIndex}</samlp:SessionIndex>`) +
        '</samlp:LogoutRequest>'
      );
    },
    close: () =>
      new Promise((resolve) => (server === null ? resolve() : server.close(() => resolve()))),
  };

  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://idp');
    const raw = (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1);
    try {
      if (url.pathname === '/sso') {
        const encoded = url.searchParams.get('SAMLRequest') ?? '';
        const { root, text } = readMessage(encoded);
        const seen: AuthnRequestSeen = {
          id: root.getAttribute('ID') ?? '',
          issuer: text('Issuer') ?? '',
          acsUrl: root.getAttribute('AssertionConsumerServiceURL') ?? '',
          relayState: url.searchParams.get('RelayState'),
          isSignatureValid: verifyQuery(raw, 'SAMLRequest', idp.sp.cert),
        };
        idp.authnRequests.push(seen);
        const xml = await idp.respond(idp.specFor(seen), seen, idp);
        const value = Buffer.from(xml).toString('base64');
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(
          `<!doctype html><form method="post" action="${esc(seen.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${value}"></form>`,
        );
        return;
      }
      if (url.pathname === '/slo' && url.searchParams.has('SAMLRequest')) {
        const { root, text } = readMessage(url.searchParams.get('SAMLRequest') ?? '');
        const requestId = root.getAttribute('ID') ?? '';
        idp.logoutRequests.push({
          id: requestId,
          nameId: text('NameID') ?? '',
          sessionIndex: text('SessionIndex'),
          isSignatureValid: verifyQuery(raw, 'SAMLRequest', idp.sp.cert),
        });
        const answer =
          `<samlp:LogoutResponse ${NS} ID="${id()}" Version="2.0" IssueInstant="${iso(Date.now())}" Destination="${esc(idp.sp.sloUrl)}" InResponseTo="${requestId}">` +
          `<saml:Issuer>${esc(idp.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
        res.writeHead(302, {
          location: idp.redirectTo(idp.sp.sloUrl, 'SAMLResponse', answer, key),
        });
        res.end();
        return;
      }
      if (url.pathname === '/slo' && url.searchParams.has('SAMLResponse')) {
        const { root } = readMessage(url.searchParams.get('SAMLResponse') ?? '');
        const code = root.getElementsByTagNameNS('*', 'StatusCode')[0]?.getAttribute('Value') ?? '';
        idp.logoutResponses.push({
          inResponseTo: root.getAttribute('InResponseTo') ?? '',
          status: code,
          isSignatureValid: verifyQuery(raw, 'SAMLResponse', idp.sp.cert),
        });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('idp: logged out');
        return;
      }
      res.writeHead(404).end();
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  Object.assign(idp, {
    entityId: `${origin}/metadata`,
    ssoUrl: `${origin}/sso`,
    sloUrl: `${origin}/slo`,
  });
  return idp;
}
