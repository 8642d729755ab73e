import { RwsError } from '@rws/core';

/** An RFC 7807 problem document as an ACME server sends it (RFC 8555 §6.7). */
export interface AcmeProblem {
  /** `urn:ietf:params:acme:error:badNonce`, `…:unauthorized`, `…:connection`, … */
  readonly type: string;
  readonly detail?: string | undefined;
  readonly status?: number | undefined;
  readonly identifier?: { readonly type: string; readonly value: string } | undefined;
  readonly subproblems?: readonly AcmeProblem[] | undefined;
}

/** What `AcmeError` says about where it happened. */
export interface AcmeErrorOptions {
  problem?: AcmeProblem | null | undefined;
  domain?: string | null | undefined;
  challenge?: string | null | undefined;
  cause?: unknown;
}

/**
 * An ACME failure (`RWS_SERVER_ACME_*`): the CA's problem document, the domain and the
 * challenge type it concerns, when known.
 */
export class AcmeError extends RwsError {
  readonly problem: AcmeProblem | null;
  readonly domain: string | null;
  readonly challenge: string | null;

  constructor(code: string, message: string, options: AcmeErrorOptions = {}) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'AcmeError';
    this.problem = options.problem ?? null;
    this.domain = options.domain ?? null;
    this.challenge = options.challenge ?? null;
  }
}

/** `type: detail` of a problem and its subproblems, for messages. */
export function describeProblem(problem: AcmeProblem): string {
  const type = problem.type.replace('urn:ietf:params:acme:error:', '');
  let text = problem.detail === undefined ? type : `${type}: ${problem.detail}`;
  for (const sub of problem.subproblems ?? []) {
    const who = sub.identifier === undefined ? '' : `${sub.identifier.value} `;
    text += `; ${who}${describeProblem(sub)}`;
  }
  return text;
}
