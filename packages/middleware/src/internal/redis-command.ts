/**
 * The one Redis call rws needs from a user's client, typed structurally so neither node-redis
 * nor ioredis is a dependency.
 */

/** A connected node-redis (`sendCommand`) or ioredis (`call`) client. */
export type RedisClientLike =
  | { sendCommand(args: string[]): Promise<unknown> }
  | { call(command: string, ...args: string[]): Promise<unknown> };

/** Sends one command, or null when `client` is neither kind of client. */
export function redisCommand(client: unknown): ((args: string[]) => Promise<unknown>) | null {
  const c = client as
    | {
        sendCommand?: (args: string[]) => Promise<unknown>;
        call?: (...a: string[]) => Promise<unknown>;
      }
    | undefined;
  // ioredis has both, and its sendCommand takes a Command object: prefer call().
  if (typeof c?.call === 'function') return (args) => c.call!(...args);
  if (typeof c?.sendCommand === 'function') return (args) => c.sendCommand!(args);
  return null;
}
