/**
 * Webhook signature checks for GitHub (`X-Hub-Signature-256`), Stripe (`Stripe-Signature`,
 * with a replay window) and Shopify (`X-Shopify-Hmac-Sha256`): HMAC-SHA256 over the raw body,
 * compared in constant time, as a function and as a middleware.
 *
 * @module
 */
import { createHmac, type KeyObject } from 'node:crypto';
import {
  Body,
  type Handler,
  Headers,
  type Middleware,
  type Request,
  type Response,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { safeEqual, toSecretKey } from '../internal/crypto/keys.js';
import { deriveRequest } from '../internal/derive-request.js';
import { failOptions } from '../internal/fail.js';

/** A provider whose signature scheme is known. */
export type WebhookProvider = 'github' | 'stripe' | 'shopify';

/** What the check needs besides the request. */
export interface WebhookSecretOptions {
  provider: WebhookProvider;
  /** The signing secret, or several during a rotation (any one may match). */
  secret: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Stripe only: how far the signed timestamp may be from now, in seconds. Default 300. */
  toleranceSec?: number | undefined;
  /** The clock in milliseconds, for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** Input of `verifyWebhookSignature()`. */
export interface VerifyWebhookSignatureOptions extends WebhookSecretOptions {
  /** The raw request body exactly as received: parsing and re-serialising changes the bytes. */
  payload: string | Uint8Array;
  /** The request headers (core `Headers` or a plain object of lower- or mixed-case names). */
  headers: Headers | Readonly<Record<string, string | undefined>>;
}

/** The outcome: valid, or invalid with a reason fit for a log line or a 401 body. */
export type WebhookVerification = { isValid: true } | { isValid: false; reason: string };

const HEADER: Readonly<Record<WebhookProvider, string>> = {
  github: 'x-hub-signature-256',
  stripe: 'stripe-signature',
  shopify: 'x-shopify-hmac-sha256',
};

/** The secrets, checked and imported once as KeyObjects (raw keys cost ~10 µs more per HMAC). */
function secretsOf(secret: WebhookSecretOptions['secret'], name: string): readonly KeyObject[] {
  const list = (Array.isArray(secret) ? secret : [secret]) as readonly unknown[];
  if (list.length === 0)
    failOptions(ERROR_CODES.WEBHOOKS_INVALID_OPTIONS, name, 'secret is required (fail closed)');
  for (const s of list) {
    const isString = typeof s === 'string';
    if ((!isString && !(s instanceof Uint8Array)) || (s as string | Uint8Array).length === 0) {
      failOptions(
        ERROR_CODES.WEBHOOKS_INVALID_OPTIONS,
        name,
        'secret must be a non-empty string or bytes',
      );
    }
  }
  return (list as readonly (string | Uint8Array)[]).map(toSecretKey);
}

function checkProvider(options: WebhookSecretOptions, name: string): void {
  if (!Object.hasOwn(HEADER, options?.provider)) {
    failOptions(
      ERROR_CODES.WEBHOOKS_INVALID_OPTIONS,
      name,
      `provider must be "github", "stripe" or "shopify", got ${JSON.stringify(options?.provider)}`,
    );
  }
  const tolerance = options.toleranceSec;
  if (tolerance !== undefined && !(Number.isSafeInteger(tolerance) && tolerance > 0)) {
    failOptions(
      ERROR_CODES.WEBHOOKS_INVALID_OPTIONS,
      name,
      `toleranceSec must be a positive integer, got ${String(tolerance)}`,
    );
  }
}

function headerOf(headers: VerifyWebhookSignatureOptions['headers'], name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return null;
}

function hmac(secret: KeyObject, data: Uint8Array | string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/** True when `expected` matches any secret's MAC, checking all of them (no early exit). */
function anyMatches(
  secrets: readonly KeyObject[],
  data: Uint8Array | string,
  candidates: readonly string[],
  encode: (mac: Buffer) => string,
): boolean {
  let isMatch = false;
  for (const secret of secrets) {
    const mac = encode(hmac(secret, data));
    for (const candidate of candidates) if (safeEqual(mac, candidate)) isMatch = true;
  }
  return isMatch;
}

function verify(
  options: VerifyWebhookSignatureOptions,
  secrets: readonly KeyObject[],
): WebhookVerification {
  const header = HEADER[options.provider];
  const value = headerOf(options.headers, header);
  if (value === null || value.trim() === '')
    return { isValid: false, reason: `${header} header missing` };
  const payload =
    typeof options.payload === 'string' ? Buffer.from(options.payload) : options.payload;
  switch (options.provider) {
    case 'github': {
      const sent = value.trim();
      if (!sent.startsWith('sha256='))
        return { isValid: false, reason: `${header} must start with sha256=` };
      return anyMatches(secrets, payload, [sent.slice(7).toLowerCase()], (m) => m.toString('hex'))
        ? { isValid: true }
        : { isValid: false, reason: `${header} does not match the body` };
    }
    case 'shopify':
      return anyMatches(secrets, payload, [value.trim()], (m) => m.toString('base64'))
        ? { isValid: true }
        : { isValid: false, reason: `${header} does not match the body` };
    default: {
      // t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]; only v1 (HMAC-SHA256) counts.
      let timestamp: string | null = null;
      const signatures: string[] = [];
      for (const part of value.split(',')) {
        const eq = part.indexOf('=');
        if (eq === -1) continue;
        const key = part.slice(0, eq).trim();
        const v = part.slice(eq + 1).trim();
        if (key === 't') timestamp = v;
        else if (key === 'v1') signatures.push(v.toLowerCase());
      }
      if (timestamp === null || !/^\d{1,12}$/.test(timestamp)) {
        return { isValid: false, reason: `${header} has no valid timestamp (t=)` };
      }
      if (signatures.length === 0)
        return { isValid: false, reason: `${header} has no v1 signature` };
      const signed = Buffer.concat([Buffer.from(`${timestamp}.`), payload]);
      if (!anyMatches(secrets, signed, signatures, (m) => m.toString('hex'))) {
        return { isValid: false, reason: `${header} does not match the body` };
      }
      // Checked after the MAC so an attacker learns nothing about the window from a forgery.
      const tolerance = options.toleranceSec ?? 300;
      const ageSec = Math.abs((options.now ?? Date.now)() / 1000 - Number(timestamp));
      if (ageSec > tolerance) {
        return {
          isValid: false,
          reason: `${header} timestamp is outside the ${tolerance}s tolerance (replay?)`,
        };
      }
      return { isValid: true };
    }
  }
}

/**
 * Checks a webhook's signature against the raw body. Never throws for a bad request (it
 * returns `{ isValid: false, reason }`); throws `RWS_MIDDLEWARE_WEBHOOKS_INVALID_OPTIONS` for a
 * missing secret or unknown provider.
 *
 * @example
 * ```ts
 * import { verifyWebhookSignature } from '@rws/middleware/webhooks';
 * const check = verifyWebhookSignature({
 *   provider: 'github',
 *   secret: process.env.GITHUB_WEBHOOK_SECRET!,
 *   payload: rawBody,
 *   headers: req.headers,
 * });
 * if (!check.isValid) console.warn(check.reason);
 * ```
 */
export function verifyWebhookSignature(
  options: VerifyWebhookSignatureOptions,
): WebhookVerification {
  checkProvider(options, 'verifyWebhookSignature');
  return verify(options, secretsOf(options.secret, 'verifyWebhookSignature'));
}

/** Options of `webhookSignature()`. */
export interface WebhookSignatureOptions extends WebhookSecretOptions {
  /** Largest body read to check, in bytes. Default 1 MiB (GitHub caps payloads at 25 MB; set it higher if needed). */
  maxBytes?: number | undefined;
}

/**
 * The middleware form: reads the body (up to `maxBytes`, else 413), answers 401 with the
 * reason when the signature does not verify, and otherwise hands the handler a request whose
 * body holds the same bytes.
 *
 * @example
 * ```ts
 * import { compose, json } from '@rws/core';
 * import { webhookSignature } from '@rws/middleware/webhooks';
 * const stripeHook = compose(
 *   [webhookSignature({ provider: 'stripe', secret: process.env.STRIPE_WEBHOOK_SECRET! })],
 *   async (req) => json({ received: (await req.body.json<{ type: string }>()).type }),
 * );
 * ```
 */
export function webhookSignature(options: WebhookSignatureOptions): Middleware {
  checkProvider(options, 'webhookSignature');
  const secrets = secretsOf(options?.secret, 'webhookSignature');
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) {
    failOptions(
      ERROR_CODES.WEBHOOKS_INVALID_OPTIONS,
      'webhookSignature',
      `maxBytes must be a positive integer, got ${String(maxBytes)}`,
    );
  }
  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const payload = await req.body.bytes({ limit: maxBytes });
      const result = verify({ ...options, payload, headers: req.headers }, secrets);
      if (!result.isValid) {
        return {
          status: 401,
          headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
          body: `webhook signature rejected: ${result.reason}\n`,
        };
      }
      return next(deriveRequest(req, { body: Body.from(payload, { limit: req.body.limit }) }));
    },
  };
}
