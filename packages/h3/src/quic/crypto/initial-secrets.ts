import type { VersionProfile } from '../version.js';
import { TLS_AES_128_GCM_SHA256 } from './cipher-suite.js';
import { hkdfExpandLabel, hkdfExtract } from './hkdf.js';
import { PacketKeys } from './packet-keys.js';

const EMPTY = new Uint8Array(0);

/** Initial keys of both directions. */
export interface InitialKeys {
  readonly client: PacketKeys;
  readonly server: PacketKeys;
}

/**
 * Initial packet keys, derived from the Destination Connection ID of the client's first
 * Initial (or the one a Retry chose) and the version's salt; anyone can compute them, so they
 * protect against off-path tampering only.
 * @see RFC 9001 §5.2
 */
export function deriveInitialKeys(profile: VersionProfile, dcid: Uint8Array): InitialKeys {
  const suite = TLS_AES_128_GCM_SHA256;
  const initialSecret = hkdfExtract(suite.hash, profile.initialSalt, dcid);
  const clientSecret = hkdfExpandLabel(suite.hash, initialSecret, 'client in', EMPTY, 32);
  const serverSecret = hkdfExpandLabel(suite.hash, initialSecret, 'server in', EMPTY, 32);
  return {
    client: new PacketKeys(suite, clientSecret, profile),
    server: new PacketKeys(suite, serverSecret, profile),
  };
}
