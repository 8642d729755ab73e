import { createHmac } from 'node:crypto';
import { compose, isRwsError, json } from '@rws/core';
import { verifyWebhookSignature, webhookSignature } from '@rws/middleware/webhooks';
import { describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

const SECRET = 'whsec_test_secret_value';
const BODY = '{"action":"opened","number":1,"note":"Zoë"}';

// Signatures computed here with node:crypto, independently of the implementation.
const hmac = (secret: string, data: string) => createHmac('sha256', secret).update(data);
const githubSig = (body = BODY, secret = SECRET) => `sha256=${hmac(secret, body).digest('hex')}`;
const shopifySig = (body = BODY, secret = SECRET) => hmac(secret, body).digest('base64');
const stripeSig = (t: number, body = BODY, secret = SECRET) =>
  `t=${t},v1=${hmac(secret, `${t}.${body}`).digest('hex')}`;

const NOW_MS = 1_700_000_000_000;
const T = NOW_MS / 1000;

describe('verifyWebhookSignature', () => {
  it.each([
    ['github', { 'X-Hub-Signature-256': githubSig() }],
    ['shopify', { 'X-Shopify-Hmac-Sha256': shopifySig() }],
    ['stripe', { 'Stripe-Signature': stripeSig(T) }],
    [
      'stripe',
      {
        'Stripe-Signature': `t=${T},v1=${'0'.repeat(64)},v1=${stripeSig(T).split('v1=')[1]},v0=abc`,
      },
    ],
  ] as const)('%s: a correct signature verifies (%j)', (provider, headers) => {
    expect(
      verifyWebhookSignature({
        provider,
        secret: SECRET,
        payload: BODY,
        headers,
        now: () => NOW_MS,
      }),
    ).toEqual({
      isValid: true,
    });
    expect(
      verifyWebhookSignature({
        provider,
        secret: SECRET,
        payload: Buffer.from(BODY),
        headers,
        now: () => NOW_MS,
      }).isValid,
    ).toBe(true);
  });

  it.each([
    ['github', { 'x-hub-signature-256': githubSig(`${BODY} `) }, /does not match the body/],
    [
      'github',
      { 'x-hub-signature-256': githubSig(BODY, 'other-secret') },
      /does not match the body/,
    ],
    [
      'github',
      { 'x-hub-signature-256': hmac(SECRET, BODY).digest('hex') },
      /must start with sha256=/,
    ],
    ['github', {}, /x-hub-signature-256 header missing/],
    ['shopify', { 'x-shopify-hmac-sha256': shopifySig('{}') }, /does not match the body/],
    ['shopify', { 'x-shopify-hmac-sha256': '' }, /header missing/],
    ['stripe', { 'stripe-signature': stripeSig(T, '{}') }, /does not match the body/],
    ['stripe', { 'stripe-signature': stripeSig(T - 301) }, /outside the 300s tolerance/],
    ['stripe', { 'stripe-signature': stripeSig(T + 301) }, /outside the 300s tolerance/],
    [
      'stripe',
      { 'stripe-signature': `v1=${hmac(SECRET, BODY).digest('hex')}` },
      /no valid timestamp/,
    ],
    ['stripe', { 'stripe-signature': `t=${T},v0=abc` }, /no v1 signature/],
    // A signature over another timestamp cannot be moved to a fresh one.
    [
      'stripe',
      { 'stripe-signature': `t=${T},v1=${stripeSig(T - 1000).split('v1=')[1]}` },
      /does not match/,
    ],
  ] as const)('%s rejects %j', (provider, headers, reason) => {
    const result = verifyWebhookSignature({
      provider,
      secret: SECRET,
      payload: BODY,
      headers,
      now: () => NOW_MS,
    });
    expect(result.isValid).toBe(false);
    expect((result as { reason: string }).reason).toMatch(reason);
  });

  it('stripe: the tolerance is configurable; a timestamp inside it passes', () => {
    const headers = { 'stripe-signature': stripeSig(T - 200) };
    const check = (toleranceSec: number) =>
      verifyWebhookSignature({
        provider: 'stripe',
        secret: SECRET,
        payload: BODY,
        headers,
        toleranceSec,
        now: () => NOW_MS,
      });
    expect(check(300).isValid).toBe(true);
    expect(check(100).isValid).toBe(false);
  });

  it('secret rotation: any listed secret verifies', () => {
    const headers = { 'x-hub-signature-256': githubSig(BODY, 'old-secret') };
    expect(
      verifyWebhookSignature({
        provider: 'github',
        secret: ['new-secret', 'old-secret'],
        payload: BODY,
        headers,
      }).isValid,
    ).toBe(true);
    expect(
      verifyWebhookSignature({ provider: 'github', secret: ['new-secret'], payload: BODY, headers })
        .isValid,
    ).toBe(false);
  });

  it.each([
    [{ provider: 'gitlab', secret: SECRET }, /provider must be/],
    [{ provider: 'github', secret: '' }, /non-empty string/],
    [{ provider: 'github', secret: [] }, /secret is required/],
    [{ provider: 'github' }, /secret is required|non-empty/],
    [
      { provider: 'stripe', secret: SECRET, toleranceSec: 0 },
      /toleranceSec must be a positive integer/,
    ],
  ])('fails closed on %j', (options, message) => {
    let caught: unknown;
    try {
      verifyWebhookSignature({ ...(options as object), payload: BODY, headers: {} } as never);
    } catch (err) {
      caught = err;
    }
    expect(isRwsError(caught, 'RWS_MIDDLEWARE_WEBHOOKS_INVALID_OPTIONS')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('webhookSignature() middleware over a real socket', () => {
  it('401 with the reason for a bad signature; the handler reads the same body when valid', async () => {
    let reached = 0;
    const port = await serveHandler(
      compose(
        [webhookSignature({ provider: 'github', secret: SECRET, maxBytes: 1000 })],
        async (req) => {
          reached++;
          return json(await req.body.json());
        },
      ),
    );
    const ok = await httpCall(port, '/hook', {
      method: 'POST',
      body: BODY,
      headers: { 'x-hub-signature-256': githubSig() },
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual(JSON.parse(BODY));
    const bad = await httpCall(port, '/hook', {
      method: 'POST',
      body: BODY,
      headers: { 'x-hub-signature-256': githubSig('x') },
    });
    expect(bad.status).toBe(401);
    expect(bad.body).toBe(
      'webhook signature rejected: x-hub-signature-256 does not match the body\n',
    );
    const big = await httpCall(port, '/hook', {
      method: 'POST',
      body: 'x'.repeat(1001),
      headers: { 'x-hub-signature-256': githubSig('x'.repeat(1001)) },
    });
    expect(big.status).toBe(413);
    expect(reached).toBe(1);
  });
});
