/**
 * One certificate issuance with an `AcmeClient`: order, solve each authorization with the
 * first offered challenge type we serve, finalize with a fresh key's CSR, download the chain
 * (RFC 8555 §7.4, the flow of §7.1's overview).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { MaybePromise } from '@rws/core';
import type { AcmeClient, AcmeOrder } from '../../acme-client.js';
import { AcmeError, describeProblem } from '../../acme-error.js';
import type { StoredCertificate } from '../../certificate-store.js';
import { ERROR_CODES } from '../../errors.js';
import { createCsr } from './x509.js';

/** The challenge types `AcmeManager` can answer. */
export type ChallengeType = 'http-01' | 'tls-alpn-01' | 'dns-01';

/**
 * Publishes and withdraws challenge answers where the CA will look for them. `domain` is the
 * authorization's identifier (`example.com` for a `*.example.com` order).
 */
export interface ChallengeSolver {
  present(
    type: ChallengeType,
    domain: string,
    token: string,
    keyAuthorization: string,
  ): MaybePromise<void>;
  cleanup(type: ChallengeType, domain: string, token: string): MaybePromise<void>;
}

/** Certificate key types. */
export type CertificateKeyType = 'ec-p256' | 'ec-p384' | 'rsa-2048';

export interface IssueOptions {
  domains: readonly string[];
  /** In order of preference. */
  challenges: readonly ChallengeType[];
  keyType: CertificateKeyType;
  pollTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

export function generateCertificateKey(type: CertificateKeyType): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  if (type === 'rsa-2048') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  return generateKeyPairSync('ec', { namedCurve: type === 'ec-p384' ? 'P-384' : 'P-256' });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    // The listener goes when the timer fires: one manager's signal sees many polls.
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls `load` until its status leaves `pending`/`processing`, or the deadline passes. */
async function poll<T extends { status: string }>(
  load: () => Promise<T>,
  deadline: number,
  signal: AbortSignal | undefined,
  what: () => string,
): Promise<T> {
  let delayMs = 250;
  for (;;) {
    const value = await load();
    if (value.status !== 'pending' && value.status !== 'processing') return value;
    if (Date.now() > deadline) {
      throw new AcmeError(
        ERROR_CODES.ACME_ORDER_FAILED,
        `${what()} still ${value.status} after polling timed out`,
      );
    }
    await sleep(delayMs, signal);
    delayMs = Math.min(delayMs * 2, 5_000);
  }
}

async function authorize(
  client: AcmeClient,
  url: string,
  options: IssueOptions,
  solver: ChallengeSolver,
  deadline: number,
): Promise<void> {
  const authz = await client.authorization(url);
  const domain = authz.identifier.value;
  if (authz.status === 'valid') return;
  if (authz.status !== 'pending') {
    throw new AcmeError(
      ERROR_CODES.ACME_CHALLENGE_FAILED,
      `authorization of ${domain} is ${authz.status}`,
      { domain },
    );
  }
  const challenge = options.challenges
    .map((type) => authz.challenges.find((c) => c.type === type))
    .find((c) => c !== undefined);
  if (challenge === undefined) {
    const offered = authz.challenges.map((c) => c.type).join(', ');
    throw new AcmeError(
      ERROR_CODES.ACME_ORDER_FAILED,
      `the CA offers ${offered} for ${domain}, none of the configured ${options.challenges.join(', ')}`,
      { domain },
    );
  }
  const type = challenge.type as ChallengeType;
  try {
    await solver.present(type, domain, challenge.token, client.keyAuthorization(challenge.token));
  } catch (err) {
    throw new AcmeError(
      ERROR_CODES.ACME_CHALLENGE_FAILED,
      `${type} challenge for ${domain}: cannot publish the answer: ${(err as Error).message}`,
      { domain, challenge: type, cause: err },
    );
  }
  try {
    await client.respond(challenge.url).catch((err: unknown) => {
      throw new AcmeError(
        ERROR_CODES.ACME_CHALLENGE_FAILED,
        `${type} challenge for ${domain} was refused: ${(err as Error).message}`,
        {
          domain,
          challenge: type,
          cause: err,
          problem: err instanceof AcmeError ? err.problem : null,
        },
      );
    });
    const done = await poll(
      () => client.authorization(url),
      deadline,
      options.signal,
      () => `authorization of ${domain}`,
    );
    if (done.status !== 'valid') {
      const failed = done.challenges.find((c) => c.type === type);
      const problem = failed?.error ?? null;
      const reason = problem === null ? done.status : describeProblem(problem);
      throw new AcmeError(
        ERROR_CODES.ACME_CHALLENGE_FAILED,
        `${type} challenge for ${domain} failed: ${reason}`,
        {
          domain,
          challenge: type,
          problem,
        },
      );
    }
  } finally {
    // A record left behind is harmless; the outcome of the validation is what matters.
    await Promise.resolve(solver.cleanup(type, domain, challenge.token)).catch(() => {});
  }
}

/** Runs one order to a certificate. Throws `AcmeError` naming the domain and challenge. */
export async function issueCertificate(
  client: AcmeClient,
  solver: ChallengeSolver,
  options: IssueOptions,
): Promise<StoredCertificate> {
  const deadline = Date.now() + options.pollTimeoutMs;
  const names = options.domains.join(', ');
  let order: AcmeOrder = await client.newOrder(options.domains);
  // One at a time: the CA validates each while we wait, and failures name their domain.
  for (const url of order.authorizations) await authorize(client, url, options, solver, deadline);
  order = await poll(
    () => client.order(order.url),
    deadline,
    options.signal,
    () => `order for ${names}`,
  );
  // A CA may hand back an existing order; only a `ready` one can take our new key's CSR.
  if (order.status !== 'ready') {
    const reason = order.error === undefined ? order.status : describeProblem(order.error);
    throw new AcmeError(ERROR_CODES.ACME_ORDER_FAILED, `order for ${names} is ${reason}`, {
      problem: order.error ?? null,
    });
  }
  const { privateKey, publicKey } = generateCertificateKey(options.keyType);
  order = await client.finalize(order, createCsr(options.domains, privateKey, publicKey));
  order = await poll(
    () => client.order(order.url),
    deadline,
    options.signal,
    () => `order for ${names}`,
  );
  if (order.status !== 'valid' || order.certificate === undefined) {
    const reason = order.error === undefined ? order.status : describeProblem(order.error);
    throw new AcmeError(
      ERROR_CODES.ACME_ORDER_FAILED,
      `finalizing the order for ${names} ended ${reason}`,
      {
        problem: order.error ?? null,
      },
    );
  }
  const certPem = await client.certificate(order.certificate);
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return { certPem, keyPem };
}
