import { TRANSPORT_ERROR, transportError } from '../errors.js';
import { deriveInitialKeys } from './crypto/initial-secrets.js';
import type { PacketSpace } from './packet-space.js';
import type { TransportParameters } from './transport-parameters.js';
import { SUPPORTED_VERSIONS, type VersionProfile, versionProfile } from './version.js';

/**
 * Compatible version negotiation (RFC 9368): a client starts in one version and lists the
 * versions it could continue in (version_information); a server that prefers another of them
 * answers in that version, and the handshake finishes there without a round trip. Versions 1
 * and 2 are compatible with each other (RFC 9369 §4): the ClientHello means the same in both.
 * A Version Negotiation packet (incompatible negotiation, RFC 9000 §6) makes a client start
 * over in a version the server lists, and version_information then shows a downgrade.
 */

type VersionInformation = NonNullable<TransportParameters['versionInformation']>;

/** A client's version_information: the version it starts in, then the others it speaks. */
export function clientVersionInformation(version: number): VersionInformation {
  return {
    chosen: version,
    available: [version, ...SUPPORTED_VERSIONS.filter((v) => v !== version)],
  };
}

/**
 * The version a server continues in for a client that started in `clientVersion`: the first of
 * `preferences` the client lists as available, else the client's own. The client's Chosen
 * Version must be the version its first packet used (RFC 9368 §4).
 */
export function chooseServerVersion(
  clientVersion: number,
  info: VersionInformation | undefined,
  preferences: readonly number[],
): number {
  if (info === undefined) return clientVersion;
  if (info.chosen !== clientVersion)
    throw transportError(
      TRANSPORT_ERROR.VERSION_NEGOTIATION_ERROR,
      `version_information chooses 0x${info.chosen.toString(16)} in a 0x${clientVersion.toString(16)} packet`,
    );
  return preferences.find((v) => info.available.includes(v)) ?? clientVersion;
}

/**
 * A client checks the server's version_information (RFC 9368 §4): its Chosen Version is the
 * version in use; a server that switched us must send it; after a Version Negotiation packet
 * (`rejected`, the version we first tried) the server must not list that version as one it
 * supports, or the Version Negotiation packet was forged to downgrade us.
 */
function checkServerVersionInformation(
  info: VersionInformation | undefined,
  current: number,
  hasSwitched: boolean,
  rejected: number | undefined,
): void {
  const fail = (message: string): never => {
    throw transportError(TRANSPORT_ERROR.VERSION_NEGOTIATION_ERROR, message);
  };
  if (info === undefined) {
    if (hasSwitched) fail('the server changed the version but sent no version_information');
    return;
  }
  if (info.chosen !== current)
    fail(
      `the server's version_information chooses 0x${info.chosen.toString(16)}, not the version in use`,
    );
  if (rejected !== undefined && info.available.includes(rejected))
    fail(
      `a Version Negotiation packet refused 0x${rejected.toString(16)}, which the server supports`,
    );
}

/**
 * New Initial keys for `profile` (the version the connection moves to): the same connection
 * ID, another salt (RFC 9369 §3.3.1). Packets in flight are re-sent with the new keys if lost.
 */
export function rekeyInitial(
  initial: PacketSpace,
  profile: VersionProfile,
  cid: Uint8Array,
  role: 'client' | 'server',
): void {
  const keys = deriveInitialKeys(profile, cid);
  initial.readKeys = role === 'client' ? keys.server : keys.client;
  initial.writeKeys = role === 'client' ? keys.client : keys.server;
}

/**
 * The version a client starts over in after a Version Negotiation packet listing `offered`:
 * the first we speak, unless the packet lists the version we used (RFC 9000 §6.2: ignore it).
 */
function versionAfterNegotiation(current: number, offered: readonly number[]): number | undefined {
  if (offered.includes(current)) return undefined;
  return SUPPORTED_VERSIONS.find((v) => offered.includes(v) && versionProfile(v) !== undefined);
}

/**
 * One connection's QUIC version: the one in use, whether compatible negotiation moved it, and
 * for a client refused by a Version Negotiation packet the version to start over in.
 */
export class ConnectionVersion {
  #profile: VersionProfile;
  #hasSwitched = false;
  #retryVersion: number | undefined;
  readonly #role: 'client' | 'server';
  /** The versions a client listed in its version_information. */
  readonly #offered: readonly number[];
  /** A client's first version, which a Version Negotiation packet refused. */
  readonly #rejected: number | undefined;

  constructor(
    profile: VersionProfile,
    role: 'client' | 'server',
    offered: readonly number[],
    rejected: number | undefined,
  ) {
    this.#profile = profile;
    this.#role = role;
    this.#offered = offered;
    this.#rejected = rejected;
  }

  get profile(): VersionProfile {
    return this.#profile;
  }

  get retryVersion(): number | undefined {
    return this.#retryVersion;
  }

  /** Moves to `version` (the caller derives the new Initial keys). */
  switchTo(version: number): VersionProfile {
    this.#profile = versionProfile(version)!;
    this.#hasSwitched = true;
    return this.#profile;
  }

  /** Whether a client follows a server packet in `version`: only its first, in a version offered. */
  canFollow(version: number, hasServerPacket: boolean): boolean {
    return this.#role === 'client' && !hasServerPacket && this.#offered.includes(version);
  }

  /**
   * A client's Version Negotiation packet listing `versions`: the reason the attempt ends when
   * it lists one we speak (`retryVersion` is set to it), else undefined (ignored).
   */
  onVersionNegotiation(versions: readonly number[]): string | undefined {
    const next = versionAfterNegotiation(this.#profile.version, versions);
    if (next === undefined) return undefined;
    this.#retryVersion = next;
    return `the server does not speak QUIC version 0x${this.#profile.version.toString(16)}`;
  }

  /** A client checks the server's version_information (see checkServerVersionInformation). */
  checkServer(info: VersionInformation | undefined): void {
    checkServerVersionInformation(info, this.#profile.version, this.#hasSwitched, this.#rejected);
  }
}
