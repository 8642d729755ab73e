import {
  compose,
  createRequest,
  type Handler,
  IN_PROCESS_CONNECTION,
  isRwsError,
  json,
  parseSetCookie,
  type Response,
} from '@rws/core';
import {
  createMemorySessionStore,
  createRedisSessionStore,
  getSession,
  type SessionStore,
  session,
} from '@rws/middleware/session';
import { connectRedis } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';
import { runSessionStoreConformance } from './session-store-suite.js';

const SECRET = 'session-secret-session-secret-0001';

/** A tiny app: /login sets the user (regenerating the id), /me reads, /logout destroys. */
function app(store: SessionStore, extra: Partial<Parameters<typeof session>[0]> = {}): Handler {
  return compose([session({ keys: [SECRET], store, ...extra })], (req) => {
    const s = getSession(req);
    if (req.path === '/login') {
      s.regenerate();
      s.set('user', 'ada');
    } else if (req.path === '/logout') {
      s.destroy();
    } else if (req.path === '/count') {
      s.set('count', (s.get<number>('count') ?? 0) + 1);
    }
    return json({ user: s.get('user') ?? null, count: s.get('count') ?? 0, isNew: s.isNew });
  });
}

async function send(handler: Handler, path: string, cookie?: string, isTls = false) {
  const conn = isTls
    ? {
        ...IN_PROCESS_CONNECTION,
        tls: {
          alpn: null,
          sni: null,
          version: 'TLSv1.3',
          authorized: false,
          peerCertificate: null,
        },
      }
    : IN_PROCESS_CONNECTION;
  const res: Response = await handler(
    createRequest({ method: 'GET', target: path, headers: cookie ? { cookie } : {}, conn }),
  );
  const setCookie = res.headers.getSetCookie()[0] ?? null;
  const parsed = setCookie === null ? null : parseSetCookie(setCookie);
  return {
    body: JSON.parse(res.body as string) as { user: string | null; count: number; isNew: boolean },
    setCookie,
    cookie: parsed === null ? null : `${parsed.name}=${parsed.value}`,
  };
}

describe('session()', () => {
  it('no data, no cookie; data sets an HttpOnly SameSite=Lax cookie; the next request sees it', async () => {
    const handler = app(createMemorySessionStore());
    expect((await send(handler, '/me')).setCookie).toBeNull();
    const first = await send(handler, '/count');
    expect(first.setCookie).toMatch(
      /^sid=[\w-]{43}\.[\w-]{43}; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/,
    );
    const second = await send(handler, '/count', first.cookie!);
    expect(second.body).toEqual({ user: null, count: 2, isNew: false });
  });

  it('Secure is added when the request came over TLS', async () => {
    const handler = app(createMemorySessionStore());
    const res = await send(handler, '/count', undefined, true);
    expect(res.setCookie).toMatch(/; Secure; HttpOnly; SameSite=Lax$/);
  });

  it('a forged or unknown id is replaced by a new server-chosen one', async () => {
    const handler = app(createMemorySessionStore());
    const forged = await send(handler, '/count', 'sid=attacker-chosen-id');
    expect(forged.body.isNew).toBe(true);
    expect(forged.cookie).not.toContain('attacker-chosen-id');
    // A correctly signed id of a session the store never had is just as new.
    const other = app(createMemorySessionStore());
    const elsewhere = await send(other, '/count');
    expect((await send(handler, '/count', elsewhere.cookie!)).body).toMatchObject({
      count: 1,
      isNew: true,
    });
  });

  it('login regenerates the id: the pre-login id is dead afterwards (fixation)', async () => {
    const handler = app(createMemorySessionStore());
    const anonymous = await send(handler, '/count');
    const login = await send(handler, '/login', anonymous.cookie!);
    expect(login.body).toMatchObject({ user: 'ada', count: 1 });
    expect(login.cookie).not.toBe(anonymous.cookie);
    expect((await send(handler, '/me', login.cookie!)).body).toMatchObject({
      user: 'ada',
      count: 1,
    });
    expect((await send(handler, '/me', anonymous.cookie!)).body).toMatchObject({
      user: null,
      isNew: true,
    });
  });

  it('logout destroys the record and clears the cookie', async () => {
    const handler = app(createMemorySessionStore());
    const login = await send(handler, '/login');
    const logout = await send(handler, '/logout', login.cookie!);
    expect(logout.setCookie).toMatch(/^sid=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax$/);
    expect((await send(handler, '/me', login.cookie!)).body.user).toBeNull();
  });

  it('rolling (default) renews the TTL on reads; rolling: false does not', async () => {
    let now = 0;
    const store = createMemorySessionStore({ now: () => now });
    const rolling = app(store, { ttlMs: 1000 });
    const { cookie } = await send(rolling, '/count');
    now = 900;
    expect((await send(rolling, '/me', cookie!)).setCookie).not.toBeNull();
    now = 1800;
    expect((await send(rolling, '/me', cookie!)).body.count).toBe(1);
    const fixedStore = createMemorySessionStore({ now: () => now });
    const fixed = app(fixedStore, { ttlMs: 1000, rolling: false });
    const f = await send(fixed, '/count');
    now += 900;
    expect((await send(fixed, '/me', f.cookie!)).setCookie).toBeNull();
    now += 200;
    expect((await send(fixed, '/me', f.cookie!)).body.isNew).toBe(true);
  });

  it('works over a real @rws/http1 socket', async () => {
    const port = await serveHandler(app(createMemorySessionStore()));
    const first = await httpCall(port, '/count');
    const cookie = (first.headers['set-cookie']![0] ?? '').split(';')[0]!;
    const second = await httpCall(port, '/count', { headers: { cookie } });
    expect(JSON.parse(second.body)).toMatchObject({ count: 2, isNew: false });
  });

  it('getSession() without session() is a clear 500 error', () => {
    let caught: unknown;
    try {
      getSession(createRequest({ method: 'GET', target: '/' }));
    } catch (err) {
      caught = err;
    }
    expect(isRwsError(caught, 'RWS_MIDDLEWARE_SESSION_NOT_INSTALLED')).toBe(true);
    expect((caught as { status: number }).status).toBe(500);
  });

  it.each([
    [{}, /keys are required/],
    [{ keys: ['short'] }, /at least 32/],
    [{ keys: [SECRET], ttlMs: 0 }, /ttlMs must be a positive integer/],
    [{ keys: [SECRET], store: {} }, /store must implement/],
    [{ keys: [SECRET], cookieName: 'bad name' }, /cookie name is invalid/],
  ])('fails closed at startup on %j', (options, message) => {
    let caught: unknown;
    try {
      session(options as never);
    } catch (err) {
      caught = err;
    }
    expect(isRwsError(caught, 'RWS_MIDDLEWARE_SESSION_INVALID_OPTIONS')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });

  it('a failing store surfaces as RWS_MIDDLEWARE_SESSION_STORE_FAILED, not an empty session', async () => {
    const broken = createRedisSessionStore({
      client: { call: () => Promise.reject(new Error('ECONNREFUSED')) },
    });
    const handler = app(broken);
    const signed = await send(app(createMemorySessionStore()), '/count');
    await expect(send(handler, '/me', signed.cookie!)).rejects.toSatisfy((e: unknown) =>
      isRwsError(e, 'RWS_MIDDLEWARE_SESSION_STORE_FAILED'),
    );
    expect(() => createRedisSessionStore({ client: {} as never })).toThrow(/node-redis|ioredis/);
  });
});

describe('memory session store', () => {
  runSessionStoreConformance(async () => createMemorySessionStore());

  it('evicts the least recently used past maxEntries', async () => {
    const store = createMemorySessionStore({ maxEntries: 2 });
    await store.set('a', { v: 1 }, 60_000);
    await store.set('b', { v: 2 }, 60_000);
    await store.get('a');
    await store.set('c', { v: 3 }, 60_000);
    expect(await store.get('b')).toBeNull();
    expect(await store.get('a')).toEqual({ v: 1 });
  });
});

describe('Redis session store (real Redis on 127.0.0.1:6379)', () => {
  const prefix = `rws:test:sess:${process.pid}:${Date.now()}:`;
  runSessionStoreConformance(async () => {
    const client = await connectRedis('Redis session store tests');
    if (client === null) return null;
    const store = createRedisSessionStore({ client, prefix });
    return { ...store, close: async () => void client.disconnect() };
  });

  it('two app instances on one Redis share sessions; Redis holds the TTL', async (ctx) => {
    const client = await connectRedis('Redis session store tests');
    if (client === null) return ctx.skip();
    try {
      const a = app(createRedisSessionStore({ client, prefix }), { ttlMs: 60_000 });
      const b = app(createRedisSessionStore({ client, prefix }), { ttlMs: 60_000 });
      const login = await send(a, '/login');
      expect((await send(b, '/count', login.cookie!)).body).toMatchObject({
        user: 'ada',
        count: 1,
      });
      const keys = await client.keys(`${prefix}*`);
      expect(keys).toHaveLength(1);
      const ttl = await client.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      await send(a, '/logout', login.cookie!);
      expect(await client.keys(`${prefix}*`)).toHaveLength(0);
    } finally {
      client.disconnect();
    }
  });
});
