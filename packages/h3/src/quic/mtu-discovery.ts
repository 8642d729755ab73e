/** The QUIC minimum, which every path must carry (RFC 9000 §14.1): where the search starts. */
export const BASE_DATAGRAM = 1200;
/** Default upper bound of the search: an Ethernet MTU of 1500 less IPv6 and UDP headers. */
export const DEFAULT_MAX_DATAGRAM = 1452;
/** Probes of one size that may be lost before the search gives that size up (MAX_PROBES). */
const MAX_PROBES = 3;
/** The search stops when the bounds are this close: a few bytes more are not worth a probe. */
const SEARCH_PRECISION = 20;

/**
 * Datagram packetization layer PMTU discovery for one connection: after the handshake, probes
 * (PING + PADDING packets of a candidate size) go out alongside the data; an acknowledged probe
 * raises the datagram size, and three lost ones at a size lower the upper bound. The first
 * probe tries the upper bound (on most paths it passes at once), then the search is binary.
 * Probe losses are not congestion. Persistent congestion may mean a black hole for large
 * datagrams, so the size falls back to 1200 and the search starts again.
 * @see RFC 8899 §5, RFC 9000 §14.3
 */
export class MtuDiscovery {
  /** The largest datagram known to pass (bytes). */
  current: number = BASE_DATAGRAM;
  #low = BASE_DATAGRAM;
  #high: number;
  readonly #localMax: number;
  #probeInFlight: number | undefined;
  /** The size being tried (again after a loss, up to MAX_PROBES times); undefined: choose one. */
  #candidate: number | undefined;
  /** The first probe of a search tries the upper bound. */
  #isFirst = true;
  #failures = 0;
  /** Probes acknowledged (each raised the size). */
  probesAcked = 0;

  /** `localMax`: the largest datagram we would send or accept (max_udp_payload_size). */
  constructor(localMax: number) {
    this.#localMax = localMax;
    this.#high = localMax;
  }

  /** The peer's max_udp_payload_size bounds the search too. */
  setPeerMax(peerMax: number): void {
    this.#high = Math.max(BASE_DATAGRAM, Math.min(this.#high, peerMax));
  }

  /** Whether the search has finished (until a black hole restarts it). */
  get isDone(): boolean {
    return this.#high - this.#low < SEARCH_PRECISION;
  }

  /** The size of the probe to send next, if one is due (one probe in flight at a time). */
  get nextProbe(): number | undefined {
    if (this.#probeInFlight !== undefined || this.isDone) return undefined;
    this.#candidate ??= this.#isFirst ? this.#high : Math.floor((this.#low + this.#high) / 2);
    this.#isFirst = false;
    return this.#candidate;
  }

  onProbeSent(size: number): void {
    this.#probeInFlight = size;
  }

  onProbeAcked(size: number): void {
    if (size === this.#probeInFlight) this.#probeInFlight = undefined;
    if (size <= this.#low) return;
    this.#candidate = undefined;
    this.#low = size;
    this.current = size;
    this.#failures = 0;
    this.probesAcked++;
  }

  /** A probe was declared lost (or timed out): after MAX_PROBES, the size is beyond the path. */
  onProbeLost(size: number): void {
    if (size === this.#probeInFlight) this.#probeInFlight = undefined;
    if (size !== this.#candidate || ++this.#failures < MAX_PROBES) return;
    this.#failures = 0;
    this.#candidate = undefined;
    this.#high = Math.max(this.#low, size - 1);
  }

  /** A black hole is suspected: back to the minimum, and search again (RFC 8899 §4.3). */
  reset(peerMax: number): void {
    this.current = BASE_DATAGRAM;
    this.#low = BASE_DATAGRAM;
    this.#high = Math.max(BASE_DATAGRAM, Math.min(this.#localMax, peerMax));
    this.#probeInFlight = undefined;
    this.#candidate = undefined;
    this.#isFirst = true;
    this.#failures = 0;
  }
}
