/**
 * samlLogin() against a SAML IdP built in the test with xml-crypto (node-saml's XML-DSig
 * library) over real sockets: the SP runs on @rws/http1, the IdP on node:http, and the "browser"
 * keeps cookies, follows redirects and posts the IdP's form to the ACS. Attacks are played by
 * shaping the IdP's answer: unsigned, signed by another key, signature wrapping, comment
 * injection, wrong audience, expired, replayed, answering another request.
 */
import { json, text } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { session } from '@rws/middleware/session';
import { createApp } from '@rws/router';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getSamlUser, type SamlLoginOptions, samlLogin } from '../src/saml/index.js';
import { Browser, type Page } from './browser.js';
import {
  assertionXml,
  encryptAssertion,
  type KeyPair,
  makeKeyPair,
  responseXml,
  signElement,
  signedAssertion,
  startIdp,
  type TestIdp,
} from './saml-idp.js';

let idp: TestIdp;
let sp: Http1Server;
let spUrl: string;
let spKey: KeyPair;
let strangerKey: KeyPair;
let handler: (req: never) => unknown = () => text('no app');

beforeAll(async () => {
  sp = createServer((req) => handler(req as never) as never);
  const { port } = await sp.listen({ port: 0, host: '127.0.0.1' });
  spUrl = `http://127.0.0.1:${port}`;
  spKey = makeKeyPair('test-sp');
  strangerKey = makeKeyPair('stranger');
  idp = await startIdp({
    entityId: `${spUrl}/saml/metadata`,
    acsUrl: `${spUrl}/saml/acs`,
    sloUrl: `${spUrl}/saml/slo`,
    cert: spKey.cert,
  });
}, 60_000);

afterAll(async () => {
  await sp?.close();
  await idp?.close();
});

/** Serves a fresh SP app with these options; resets the IdP's answer to a valid login. */
function useApp(options: Partial<SamlLoginOptions> = {}) {
  idp.respond = signedAssertion;
  idp.user = {};
  const login = samlLogin({
    baseUrl: spUrl,
    idp: { entityId: idp.entityId, ssoUrl: idp.ssoUrl, sloUrl: idp.sloUrl, certs: idp.key.cert },
    signing: spKey,
    ...options,
  });
  // Refusals are the point of several tests: keep their log lines out of the output.
  const app = createApp({ logger: { error() {} } });
  app.use(session({ keys: ['session-secret-for-tests-0123456789'] }), login);
  app.get('/', () => text('home'));
  app.get('/me', { middleware: [login.requireUser()] }, (req) => json(getSamlUser(req)));
  app.get('/who', (req) => text(getSamlUser(req)?.nameId ?? 'nobody'));
  handler = app.handler as never;
  return login;
}

function loginFlow(browser: Browser, returnTo = '/me'): Promise<Page> {
  return browser.follow(`${spUrl}/saml/login?returnTo=${encodeURIComponent(returnTo)}`);
}

async function who(browser: Browser): Promise<string> {
  return (await browser.request(`${spUrl}/who`)).text;
}

/** Runs a login the IdP answers with `respond`; expects a 401 for `reason` and no user. */
async function expectRefusedLogin(respond: TestIdp['respond'], reason: string): Promise<Page> {
  idp.respond = respond;
  const browser = new Browser();
  const page = await loginFlow(browser);
  expect(page.status).toBe(401);
  expect(page.text).toContain(reason);
  expect(await who(browser)).toBe('nobody');
  return page;
}

describe('samlLogin against an xml-crypto IdP', () => {
  test('metadata names the entity, ACS, SLO and the signing and encryption certificates', async () => {
    const encryption = makeKeyPair('test-sp-enc');
    useApp({ decryption: encryption });
    const res = await fetch(`${spUrl}/saml/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('samlmetadata+xml');
    const xml = await res.text();
    expect(xml).toContain(`entityID="${spUrl}/saml/metadata"`);
    expect(xml).toContain(`Location="${spUrl}/saml/acs"`);
    expect(xml).toContain(`Location="${spUrl}/saml/slo"`);
    expect(xml).toContain('use="signing"');
    expect(xml).toContain('use="encryption"');
    const body = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    expect(xml).toContain(body(spKey.cert).slice(0, 64));
    expect(xml).toContain(body(encryption.cert).slice(0, 64));
  });

  test('login: signed AuthnRequest by redirect, signed assertion by POST; attributes reach the handler; session id renewed', async () => {
    useApp();
    const browser = new Browser();
    await browser.request(`${spUrl}/who`);
    const sidBefore = browser.cookies(spUrl).get('sid');
    const page = await loginFlow(browser);
    expect(page.status).toBe(200);
    const user = JSON.parse(page.text);
    expect(user).toMatchObject({
      nameId: 'ada@example.com',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      issuer: idp.entityId,
      attributes: { email: 'ada@example.com', groups: ['staff', 'admins'] },
    });
    expect(typeof user.sessionIndex).toBe('string');
    const request = idp.authnRequests.at(-1);
    expect(request).toMatchObject({
      issuer: `${spUrl}/saml/metadata`,
      acsUrl: `${spUrl}/saml/acs`,
      isSignatureValid: true,
    });
    expect(browser.cookies(spUrl).get('sid')).not.toBe(sidBefore);
    expect(browser.cookies(spUrl).has('rws.saml.login')).toBe(false);
  });

  test('an encrypted assertion is decrypted with the decryption key; without the key it is refused', async () => {
    const encryption = makeKeyPair('test-sp-enc');
    useApp({ decryption: encryption });
    idp.respond = async (spec, _req, self) =>
      responseXml(
        spec,
        await encryptAssertion(
          signElement(assertionXml(spec), spec.assertionId, self.key),
          encryption.cert,
        ),
      );
    const page = await loginFlow(new Browser());
    expect(page.status).toBe(200);
    expect(JSON.parse(page.text).attributes.groups).toEqual(['staff', 'admins']);
    const respond = idp.respond;
    useApp();
    await expectRefusedLogin(respond, 'No decryption key');
  });

  test('requireUser() sends pages to the login and answers 401 to API calls', async () => {
    useApp();
    const page = await new Browser().request(`${spUrl}/me`);
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/saml/login?returnTo=%2Fme');
    const api = await fetch(`${spUrl}/me`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(401);
  });

  test('an unsigned response is refused', async () => {
    useApp();
    await expectRefusedLogin((spec) => responseXml(spec, assertionXml(spec)), 'Invalid signature');
  });

  test('a response signed by a key other than the IdP certificate is refused', async () => {
    useApp();
    await expectRefusedLogin(
      (spec) => responseXml(spec, signElement(assertionXml(spec), spec.assertionId, strangerKey)),
      'Invalid signature',
    );
  });

  test('signature wrapping: the signed assertion moved aside and an unsigned one put in its place is refused', async () => {
    useApp();
    const page = await expectRefusedLogin((spec, _req, self) => {
      const signed = signElement(assertionXml(spec), spec.assertionId, self.key);
      const evil = assertionXml({ ...spec, nameId: 'admin@example.com', assertionId: '_evil' });
      // The evil assertion is the Response's only Assertion child; the genuine signed one hides
      // in Extensions, where a verifier that looks the signed ID up anywhere would find it.
      return responseXml(spec, `<samlp:Extensions>${signed}</samlp:Extensions>${evil}`);
    }, 'Invalid signature');
    expect(page.text).not.toContain('admin@example.com');
  });

  test('signature wrapping: an unsigned assertion beside the signed one is refused', async () => {
    useApp();
    await expectRefusedLogin((spec, _req, self) => {
      const signed = signElement(assertionXml(spec), spec.assertionId, self.key);
      const evil = assertionXml({ ...spec, nameId: 'admin@example.com', assertionId: '_evil' });
      return responseXml(spec, evil + signed);
    }, 'multiple assertions');
  });

  test('a signed Response whose signature covers another element (wrapped response) is refused', async () => {
    useApp({ wantResponseSigned: true });
    await expectRefusedLogin((spec, _req, self) => {
      // The signature is genuine but references an element that is not the root Response.
      const signed = signElement(
        responseXml(spec, signElement(assertionXml(spec), spec.assertionId, self.key), '_inner'),
        '_inner',
        self.key,
      );
      const evil = assertionXml({ ...spec, nameId: 'admin@example.com', assertionId: '_evil' });
      return responseXml(spec, `<samlp:Extensions>${signed}</samlp:Extensions>${evil}`, '_outer');
    }, 'Invalid document signature');
  });

  test('comment injection in NameID does not truncate the name (CVE-2017-11428 class)', async () => {
    useApp();
    idp.user = { nameId: 'ada@example.com.evil.org' };
    idp.respond = (spec, _req, self) =>
      responseXml(spec, signElement(assertionXml(spec), spec.assertionId, self.key)).replace(
        'ada@example.com.evil.org</saml:NameID>',
        'ada@example.com<!---->.evil.org</saml:NameID>',
      );
    const browser = new Browser();
    const page = await loginFlow(browser);
    expect(page.status).toBe(200);
    // The comment is outside the signature (exclusive c14n drops comments), so the assertion
    // verifies; the name must be the whole signed text, never the part before the comment.
    expect(JSON.parse(page.text).nameId).toBe('ada@example.com.evil.org');
  });

  test('an assertion for another audience is refused', async () => {
    useApp();
    idp.user = { audience: 'https://other-sp.example.com' };
    await expectRefusedLogin(signedAssertion, 'audience mismatch');
  });

  test('an assertion for another ACS (Recipient) or sent to another Destination is refused', async () => {
    useApp();
    idp.user = { recipient: 'https://other-sp.example.com/acs' };
    await expectRefusedLogin(signedAssertion, 'as Recipient');
    idp.user = { destination: 'https://other-sp.example.com/acs' };
    await expectRefusedLogin(signedAssertion, 'Destination is not this ACS URL');
  });

  test('an assertion from another issuer, even signed by the trusted key, is refused', async () => {
    useApp();
    idp.user = { issuer: 'https://other-idp.example.com' };
    await expectRefusedLogin(signedAssertion, 'Issuer is not the IdP');
  });

  test('an expired assertion is refused; one within the clock tolerance is accepted', async () => {
    useApp({ clockToleranceSec: 30 });
    idp.user = { notBefore: Date.now() - 600_000, notOnOrAfter: Date.now() - 60_000 };
    await expectRefusedLogin(signedAssertion, 'expired');
    idp.user = { notBefore: Date.now() + 10_000, notOnOrAfter: Date.now() + 300_000 };
    idp.respond = signedAssertion;
    const browser = new Browser();
    expect((await loginFlow(browser)).status).toBe(200);
    idp.user = { notBefore: Date.now() + 120_000, notOnOrAfter: Date.now() + 300_000 };
    await expectRefusedLogin(signedAssertion, 'not yet valid');
  });

  test('a replayed assertion is refused even with the victim login cookie', async () => {
    useApp();
    let posted = '';
    idp.respond = (spec, req, self) => {
      posted = signedAssertion(spec, req, self);
      return posted;
    };
    const browser = new Browser();
    const first = await loginFlow(browser);
    expect(first.status).toBe(200);
    // The attacker holds the captured SAMLResponse and the login cookie it answers.
    const attacker = new Browser();
    attacker
      .cookies(spUrl)
      .set(
        'rws.saml.login',
        `${idp.authnRequests.at(-1)?.id}.${Buffer.from('/me').toString('base64url')}`,
      );
    const replay = await attacker.request(`${spUrl}/saml/acs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        SAMLResponse: Buffer.from(posted).toString('base64'),
      }).toString(),
    });
    expect(replay.status).toBe(401);
    expect(replay.text).toContain('already used');
    expect(await who(attacker)).toBe('nobody');
  });

  test('a response answering another AuthnRequest (wrong InResponseTo) is refused', async () => {
    useApp();
    idp.user = { inResponseTo: '_not-the-request-this-browser-sent' };
    await expectRefusedLogin(signedAssertion, 'InResponseTo does not answer');
  });

  test('an unsolicited response is refused unless allowUnsolicited, then RelayState is a safe path', async () => {
    const post = (browser: Browser, relayState: string) =>
      browser.request(`${spUrl}/saml/acs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          SAMLResponse: Buffer.from(
            signedAssertion(idp.specFor(null), null as never, idp),
          ).toString('base64'),
          RelayState: relayState,
        }).toString(),
      });
    useApp();
    const refused = await post(new Browser(), '/me');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('no login is in flight');
    useApp({ allowUnsolicited: true });
    const browser = new Browser();
    const page = await post(browser, '//evil.example.com/');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/');
    expect(await who(browser)).toBe('ada@example.com');
  });

  test('SP-initiated logout: signed LogoutRequest to the IdP, its LogoutResponse ends the flow', async () => {
    useApp();
    const browser = new Browser();
    const user = JSON.parse((await loginFlow(browser)).text);
    const page = await browser.follow(`${spUrl}/saml/logout`, {}, { method: 'POST' });
    expect(page.status).toBe(200);
    expect(page.text).toBe('home');
    expect(idp.logoutRequests.at(-1)).toMatchObject({
      nameId: 'ada@example.com',
      sessionIndex: user.sessionIndex,
      isSignatureValid: true,
    });
    expect(await who(browser)).toBe('nobody');
  });

  test('a LogoutResponse that answers no logout of this browser, or is unsigned, is refused', async () => {
    useApp();
    const answer = (inResponseTo: string) =>
      `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x1" Version="2.0" IssueInstant="${new Date().toISOString()}" InResponseTo="${inResponseTo}"><saml:Issuer>${idp.entityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
    const browser = new Browser();
    const signed = await browser.request(
      idp.redirectTo(`${spUrl}/saml/slo`, 'SAMLResponse', answer('_nobody-asked'), idp.key),
    );
    expect(signed.status).toBe(400);
    expect(signed.text).toContain('answers no logout of this browser');
    const unsigned = await browser.request(
      idp.redirectTo(`${spUrl}/saml/slo`, 'SAMLResponse', answer('_nobody-asked'), null),
    );
    expect(unsigned.status).toBe(400);
    expect(unsigned.text).toContain('has no Signature');
  });

  test('IdP-initiated logout: a signed LogoutRequest ends the session and is answered with a signed LogoutResponse', async () => {
    useApp();
    const browser = new Browser();
    const user = JSON.parse((await loginFlow(browser)).text);
    const xml = idp.logoutRequestXml('ada@example.com', user.sessionIndex);
    const page = await browser.follow(
      idp.redirectTo(`${spUrl}/saml/slo`, 'SAMLRequest', xml, idp.key, 'rs-1'),
    );
    expect(page.text).toBe('idp: logged out');
    expect(idp.logoutResponses.at(-1)).toMatchObject({
      status: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      isSignatureValid: true,
    });
    expect(await who(browser)).toBe('nobody');
  });

  test('IdP-initiated logout by HTTP-POST: a LogoutRequest signed in XML ends the session; unsigned is refused', async () => {
    const seen: string[] = [];
    useApp({ onLogoutRequest: (r) => void seen.push(`${r.nameId} ${r.sessionIndex}`) });
    const browser = new Browser();
    const user = JSON.parse((await loginFlow(browser)).text);
    const xml = idp.logoutRequestXml('ada@example.com', user.sessionIndex);
    const requestId = /ID="([^"]+)"/.exec(xml)?.[1] ?? '';
    const post = (message: string) =>
      browser.request(`${spUrl}/saml/slo`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          SAMLRequest: Buffer.from(message).toString('base64'),
          RelayState: 'rs-2',
        }).toString(),
      });
    const unsigned = await post(xml);
    expect(unsigned.status).toBe(400);
    expect(await who(browser)).toBe('ada@example.com');
    const signed = await post(signElement(xml, requestId, idp.key));
    expect(signed.status).toBe(302);
    const back = new URL(signed.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe(idp.sloUrl);
    expect(back.searchParams.get('RelayState')).toBe('rs-2');
    expect(await who(browser)).toBe('nobody');
    expect(seen).toEqual([`ada@example.com ${user.sessionIndex}`]);
  });

  test('an unsigned or wrongly signed IdP LogoutRequest is refused and the session stays', async () => {
    const seen: string[] = [];
    useApp({ onLogoutRequest: (r) => void seen.push(r.nameId) });
    const browser = new Browser();
    await loginFlow(browser);
    const xml = idp.logoutRequestXml('ada@example.com', null);
    const unsigned = await browser.request(
      idp.redirectTo(`${spUrl}/saml/slo`, 'SAMLRequest', xml, null),
    );
    expect(unsigned.status).toBe(400);
    expect(unsigned.text).toContain('has no Signature');
    const forged = await browser.request(
      idp.redirectTo(`${spUrl}/saml/slo`, 'SAMLRequest', xml, strangerKey),
    );
    expect(forged.status).toBe(400);
    expect(forged.text).toContain('Invalid query signature');
    expect(await who(browser)).toBe('ada@example.com');
    expect(seen).toEqual([]);
  });

  test('a GET to the logout route answers a POST form; a cross-site POST is refused', async () => {
    useApp();
    const browser = new Browser();
    await loginFlow(browser);
    const page = await browser.request(`${spUrl}/saml/logout`);
    expect(page.text).toContain('method="post"');
    const cross = await browser.request(`${spUrl}/saml/logout`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(cross.status).toBe(403);
    expect(await who(browser)).toBe('ada@example.com');
  });
});
