/**
 * Multi Round-Trip Requests (MCP 2026-07-28, "Patterns / MRTR"): a handler's `ctx.elicit`,
 * `ctx.createMessage` and `ctx.listRoots` do not send the client a request. The first call
 * whose answer the retry does not carry ends the round: the client gets an `InputRequiredResult`
 * (`resultType: "input_required"`, `inputRequests`, `requestState`) and retries the original
 * request with `inputResponses`. The handler then runs again from the start; calls it made
 * before get their answers from `inputResponses` (this round) or `requestState` (earlier
 * rounds), so code written with `await ctx.elicit(…)` works in both eras.
 *
 * `requestState` carries the answers of earlier rounds through the client. It is HMAC-signed
 * and bound to the principal, the method and its name/URI, and a deadline (MRTR "Server
 * Requirements": state is attacker-controlled input and replay SHOULD be bounded).
 */
import {
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
  randomUUID,
  timingSafeEqual,
} from 'node:crypto';
import { McpError, type McpErrorCode } from '../errors.js';
import { JSON_RPC_ERRORS, JsonRpcError } from '../json-rpc.js';

/** How long a `requestState` stays valid: the user may take a while to answer a form. */
const STATE_TTL_MS = 30 * 60_000;

/** The keys of `inputRequests`: the kind and the call's position in the handler's run. */
const KINDS = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
} as const;

export type InputMethod = keyof typeof KINDS;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether an `inputResponses` value has the shape of the result its request asked for. */
function validAnswer(method: InputMethod, v: unknown): boolean {
  if (!isObject(v)) return false;
  switch (method) {
    case 'elicitation/create':
      return ['accept', 'decline', 'cancel'].includes(v['action'] as string);
    case 'sampling/createMessage':
      return (
        typeof v['role'] === 'string' && (isObject(v['content']) || Array.isArray(v['content']))
      );
    case 'roots/list':
      return Array.isArray(v['roots']);
  }
}

/** Signs and checks `requestState`. One key per server; set it alike on every instance. */
export class StateSigner {
  // A KeyObject made once: raw bytes make node 24's createHmac build and drop two TypeErrors
  // per call (~10 µs), and every input round trip signs and verifies.
  readonly #key: KeyObject;

  constructor(secret: string | Uint8Array | undefined) {
    this.#key =
      secret === undefined
        ? createSecretKey(randomBytes(32))
        : typeof secret === 'string'
          ? createSecretKey(secret, 'utf8')
          : createSecretKey(secret);
  }

  sign(payload: unknown): string {
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The payload, or null when the signature does not hold. */
  verify(state: string): unknown {
    const dot = state.lastIndexOf('.');
    if (dot <= 0) return null;
    const body = state.slice(0, dot);
    const mac = Buffer.from(state.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#mac(body), 'base64url');
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}

/** What binds a `requestState` to its request: who, which method, which tool/prompt/URI. */
interface Binding {
  readonly principal: string | null;
  readonly method: string;
  readonly target: string;
}

/** The answers, and the requests still open, of one run of a handler. */
export class InputRound {
  readonly #answers: Record<string, unknown>;
  readonly #used: Record<string, unknown> = {};
  readonly #requests: Record<string, { method: string; params: unknown }> = {};
  readonly #binding: Binding;
  readonly #signer: StateSigner;
  #calls = 0;
  #asked = false;
  #wake!: () => void;
  /** Settles (with the marker) once the handler asked for something the retry lacks. */
  readonly needed: Promise<typeof INPUT_REQUIRED>;

  private constructor(answers: Record<string, unknown>, binding: Binding, signer: StateSigner) {
    this.#answers = answers;
    this.#binding = binding;
    this.#signer = signer;
    this.needed = new Promise((resolve) => {
      this.#wake = () => resolve(INPUT_REQUIRED);
    });
  }

  /**
   * The round of a request: its `inputResponses` merged over the answers its `requestState`
   * carries. Throws a -32602 `JsonRpcError` for a malformed or forged state.
   */
  static of(params: Record<string, unknown>, binding: Binding, signer: StateSigner): InputRound {
    const responses = params['inputResponses'];
    if (responses !== undefined && !isObject(responses)) {
      throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, 'inputResponses must be an object');
    }
    const state = params['requestState'];
    let earlier: Record<string, unknown> = {};
    if (state !== undefined) {
      const payload = typeof state === 'string' ? signer.verify(state) : null;
      if (
        !isObject(payload) ||
        payload['p'] !== binding.principal ||
        payload['m'] !== binding.method ||
        payload['t'] !== binding.target ||
        typeof payload['exp'] !== 'number' ||
        !isObject(payload['a'])
      ) {
        throw new JsonRpcError(
          JSON_RPC_ERRORS.INVALID_PARAMS,
          'requestState is not one this server issued for this request',
        );
      }
      if (payload['exp'] < Date.now()) {
        throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, 'requestState has expired');
      }
      earlier = payload['a'];
    }
    return new InputRound({ ...earlier, ...(responses ?? {}) }, binding, signer);
  }

  /**
   * The answer to the handler's next input call, from this retry; or a promise that never
   * settles while the round ends with an `InputRequiredResult` (the handler is aborted).
   */
  ask(method: InputMethod, params: unknown): Promise<unknown> {
    const key = `${KINDS[method]}-${++this.#calls}`;
    if (Object.hasOwn(this.#answers, key)) {
      const answer = this.#answers[key];
      if (!validAnswer(method, answer)) {
        return Promise.reject(
          new EscalatedError(
            'RWS_MCP_CLIENT_REQUEST_FAILED',
            new JsonRpcError(
              JSON_RPC_ERRORS.INVALID_PARAMS,
              `inputResponses.${key} is not a valid ${method} result`,
            ),
          ),
        );
      }
      this.#used[key] = answer;
      return Promise.resolve(answer);
    }
    this.#requests[key] = { method, params };
    if (!this.#asked) {
      this.#asked = true;
      // Calls the handler makes in the same turn (Promise.all of two questions) join this
      // round, so the client gathers them together.
      setImmediate(this.#wake);
    }
    return new Promise(() => {});
  }

  /**
   * The round that a handler's `urlElicitationRequired` ends: its URL-mode elicitations are
   * the input requests (2026-07-28 has no `elicitationId`: the retry says the user is done).
   */
  urlResult(elicitations: readonly UrlElicitation[]): Record<string, unknown> {
    for (const e of elicitations) {
      const { elicitationId: _dropped, ...params } = e;
      this.#requests[`elicitation-${++this.#calls}`] = {
        method: 'elicitation/create',
        params: { ...params, mode: 'url' },
      };
    }
    return this.result();
  }

  /** The `InputRequiredResult` of this round. */
  result(): Record<string, unknown> {
    const state = this.#signer.sign({
      p: this.#binding.principal,
      m: this.#binding.method,
      t: this.#binding.target,
      exp: Date.now() + STATE_TTL_MS,
      a: this.#used,
    });
    return { resultType: 'input_required', inputRequests: this.#requests, requestState: state };
  }
}

/** What `InputRound.needed` settles with. */
export const INPUT_REQUIRED: unique symbol = Symbol('input required');

/**
 * A failure of a modern request's input call that the client caused: a capability its `_meta`
 * did not declare, or a malformed answer. Caught by the handler, it is an ordinary rejection
 * (the handler may fall back); escaping it, the request is answered with `rpc`
 * (`MissingRequiredClientCapabilityError` -32021, or -32602), not with a tool error.
 */
export class EscalatedError extends McpError {
  readonly rpc: JsonRpcError;
  constructor(code: McpErrorCode, rpc: JsonRpcError) {
    super(code, rpc.message);
    this.rpc = rpc;
  }
}

export function missingCapability(
  required: Record<string, unknown>,
  message: string,
): EscalatedError {
  return new EscalatedError(
    'RWS_MCP_CLIENT_CAPABILITY_MISSING',
    new JsonRpcError(JSON_RPC_ERRORS.MISSING_REQUIRED_CLIENT_CAPABILITY, message, {
      requiredCapabilities: required,
    }),
  );
}

/** A URL-mode elicitation a request needs before it can go on. */
export interface UrlElicitation {
  message: string;
  url: string;
  /** Names the interaction up to 2025-11-25 (generated when omitted); dropped in 2026-07-28. */
  elicitationId?: string;
}

/** What `urlElicitationRequired` throws. */
export class UrlElicitationRequiredError extends EscalatedError {
  readonly elicitations: readonly UrlElicitation[];
  constructor(elicitations: readonly UrlElicitation[], message: string) {
    const listed = elicitations.map((e) => ({
      mode: 'url',
      ...e,
      elicitationId: e.elicitationId ?? randomUUID(),
    }));
    super(
      'RWS_MCP_URL_ELICITATION_REQUIRED',
      new JsonRpcError(JSON_RPC_ERRORS.URL_ELICITATION_REQUIRED, message, { elicitations: listed }),
    );
    this.elicitations = elicitations;
  }
}

/**
 * Throw from a tool, prompt or resource handler when the request cannot go on until the user
 * completes URL-mode elicitations (an OAuth grant to a third party, a payment): up to
 * 2025-11-25 the client gets `URLElicitationRequiredError` (-32042) and retries once the user
 * is done; in 2026-07-28 an `InputRequiredResult` asking for them, and the retry runs the
 * handler again.
 */
export function urlElicitationRequired(
  elicitations: readonly UrlElicitation[],
  message = 'This request requires more information.',
): UrlElicitationRequiredError {
  return new UrlElicitationRequiredError(elicitations, message);
}
