// Where a TLS traffic secret goes: packet keys in the matching space, and a key log line when asked for.
import type { ConnectionParts } from './connection-adapters.js';
import { LEVEL_OF } from './connection-config.js';
import type { CipherSuite } from './crypto/cipher-suite.js';
import { PacketKeys } from './crypto/packet-keys.js';
import { dropEarlyKeys, installEarlyKeys } from './early-data.js';
import { isClientTrafficSecret, keyLogLine } from './key-log.js';
import type { SecretLevel } from './tls/tls-types.js';

/** Installs the keys of one new TLS secret (`clientRandom` names it in the key log). */
export function installTrafficSecret(
  parts: ConnectionParts,
  clientRandom: Uint8Array | undefined,
  level: SecretLevel,
  direction: 'read' | 'write',
  suite: CipherSuite,
  secret: Uint8Array,
): void {
  const { config, spaces } = parts;
  if (config.keyLog !== undefined && clientRandom !== undefined) {
    const isClientSecret = isClientTrafficSecret(config.role, direction);
    config.keyLog(keyLogLine(level, isClientSecret, clientRandom, secret));
  }
  const keys = new PacketKeys(suite, secret, parts.version.profile);
  if (level === 'early') {
    installEarlyKeys(spaces.application, direction, keys);
    return;
  }
  const space = spaces[LEVEL_OF[level]];
  if (level === 'application') dropEarlyKeys(space, direction);
  if (direction === 'read') space.readKeys = keys;
  else space.writeKeys = keys;
}
