/**
 * saml-login — single sign-on through SAML 2.0 (`@rws/identity/saml`): SP metadata, the
 * AuthnRequest by HTTP-Redirect, the signed assertion back by HTTP-POST to the ACS, attributes
 * in handlers, the login kept in a session, and single logout.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/saml-login.ts
 * then open http://127.0.0.1:3000/ in a browser and follow "Sign in".
 *   curl http://127.0.0.1:3000/saml/metadata                       # the SP metadata for the IdP
 *   curl -i http://127.0.0.1:3000/me -H 'accept: application/json'  # 401 until logged in
 *
 * With SAML_IDP_ENTITY_ID, SAML_IDP_SSO_URL, SAML_IDP_CERT (the IdP signing certificate, PEM)
 * and optionally SAML_IDP_SLO_URL set, it logs in with that IdP (Keycloak, Okta, Entra ID,
 * ADFS…; give it the metadata URL above). Without them it starts a demo IdP on a second port
 * that signs assertions for any name typed in. PORT sets the port (default 3000; 0 picks a
 * free one); SESSION_SECRET signs the session cookie.
 *
 * `@rws/identity/saml` needs the optional peers: pnpm add @node-saml/node-saml @xmldom/xmldom
 */
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer as createNodeServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { escapeHtml, type Handler, html, json, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { getSamlUser, samlLogin } from '@rws/identity/saml';
import { session } from '@rws/middleware/session';
import { createApp } from '@rws/router';

let handler: Handler = () => text('starting', { status: 503 });
const server = createServer((req) => handler(req));
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
const origin = `http://127.0.0.1:${port}`;

// The demo IdP signs with xml-crypto (node-saml's own XML-DSig library). Loaded untyped: its
// typings pull in the DOM lib, which clashes with this workspace's Node-only typecheck.
const require = createRequire(import.meta.url);
const { SignedXml } = require('xml-crypto') as {
  SignedXml: new (
    o: Record<string, unknown>,
  ) => {
    addReference(r: Record<string, unknown>): void;
    computeSignature(xml: string, o: Record<string, unknown>): void;
    getSignedXml(): string;
  };
};
const NS =
  'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

/** A throw-away IdP on 127.0.0.1: signs an assertion for whatever name is typed in. */
async function startDemoIdp(): Promise<{
  entityId: string;
  ssoUrl: string;
  sloUrl: string;
  certs: string;
}> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const http = createNodeServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const idp = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const id = () => `_${randomBytes(16).toString('hex')}`;
  const attr = (xml: string, name: string) => new RegExp(` ${name}="([^"]*)"`).exec(xml)?.[1] ?? '';
  const readRequest = (encoded: string) =>
    inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
  http.on('request', async (req, res) => {
    const url = new URL(req.url ?? '/', idp);
    if (url.pathname === '/sso' && req.method === 'GET') {
      const request = url.searchParams.get('SAMLRequest') ?? '';
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          `<!doctype html><title>Demo IdP</title><form method="post" action="/sso"><input type="hidden" name="SAMLRequest" value="${escapeHtml(request)}"><label>Name <input name="name" value="ada"></label> <button>Sign in</button></form>`,
        );
      return;
    }
    if (url.pathname === '/sso' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const request = readRequest(form.get('SAMLRequest') ?? '');
      const [requestId, acs, name] = [
        attr(request, 'ID'),
        attr(request, 'AssertionConsumerServiceURL'),
        form.get('name') || 'ada',
      ];
      const now = Date.now();
      const [at, until, assertionId] = [
        new Date(now).toISOString(),
        new Date(now + 300_000).toISOString(),
        id(),
      ];
      const subject = escapeHtml(`${name}@example.com`);
      const assertion = `<saml:Assertion ${NS} ID="${assertionId}" Version="2.0" IssueInstant="${at}"><saml:Issuer>${idp}</saml:Issuer><saml:Subject><saml:NameID>${subject}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${requestId}" NotOnOrAfter="${until}" Recipient="${escapeHtml(acs)}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${at}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${origin}/saml/metadata</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${at}" SessionIndex="${id()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>${subject}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="groups"><saml:AttributeValue>staff</saml:AttributeValue><saml:AttributeValue>demo</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>`;
      const sig = new SignedXml({
        privateKey: key,
        signatureAlgorithm: RSA_SHA256,
        canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
      });
      sig.addReference({
        xpath: `//*[@ID='${assertionId}']`,
        digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
        transforms: [
          'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
          'http://www.w3.org/2001/10/xml-exc-c14n#',
        ],
      });
      sig.computeSignature(assertion, {
        location: { reference: "//*[local-name(.)='Issuer']", action: 'after' },
      });
      const response = `<samlp:Response ${NS} ID="${id()}" Version="2.0" IssueInstant="${at}" Destination="${escapeHtml(acs)}" InResponseTo="${requestId}"><saml:Issuer>${idp}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${sig.getSignedXml()}</samlp:Response>`;
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          `<!doctype html><title>Demo IdP</title><form method="post" action="${escapeHtml(acs)}"><input type="hidden" name="SAMLResponse" value="${Buffer.from(response).toString('base64')}"><button>Continue to the app</button></form>`,
        );
      return;
    }
    if (url.pathname === '/slo') {
      // The SP's LogoutRequest: answer it with a signed LogoutResponse (HTTP-Redirect binding).
      const request = readRequest(url.searchParams.get('SAMLRequest') ?? '');
      const answer = `<samlp:LogoutResponse ${NS} ID="${id()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${origin}/saml/slo" InResponseTo="${attr(request, 'ID')}"><saml:Issuer>${idp}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
      let query = `SAMLResponse=${encodeURIComponent(deflateRawSync(answer).toString('base64'))}&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
      query += `&Signature=${encodeURIComponent(createSign('RSA-SHA256').update(query).sign(key, 'base64'))}`;
      res.writeHead(302, { location: `${origin}/saml/slo?${query}` }).end();
      return;
    }
    res.writeHead(404).end();
  });
  return {
    entityId: idp,
    ssoUrl: `${idp}/sso`,
    sloUrl: `${idp}/slo`,
    certs: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

const idp =
  process.env['SAML_IDP_SSO_URL'] === undefined
    ? await startDemoIdp()
    : {
        entityId: process.env['SAML_IDP_ENTITY_ID'] ?? '',
        ssoUrl: process.env['SAML_IDP_SSO_URL'],
        sloUrl: process.env['SAML_IDP_SLO_URL'],
        certs: process.env['SAML_IDP_CERT'] ?? '',
      };

const login = samlLogin({ baseUrl: origin, idp });

const app = createApp();
app.use(
  session({ keys: [process.env['SESSION_SECRET'] ?? 'demo-secret-change-me-demo-secret-0001'] }),
  login,
);
app.get('/', (req) => {
  const user = getSamlUser(req);
  return html(
    user === null
      ? '<p><a href="/saml/login?returnTo=/me">Sign in</a></p>'
      : `<p>Signed in as ${escapeHtml(user.nameId)}. <a href="/me">attributes</a> · <a href="/saml/logout">sign out</a></p>`,
  );
});
// Pages are sent to the login; API calls get 401.
app.get('/me', { middleware: [login.requireUser()] }, (req) => json(getSamlUser(req)));
handler = app.handler;

console.log(`saml-login listening on ${origin}/ (IdP ${idp.entityId})`);
