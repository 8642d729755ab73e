/**
 * A violation of RFC 6455 by the peer, carrying the close code the connection fails with
 * (RFC 6455 §7.4.1): 1002 protocol error, 1007 invalid payload data, 1009 message too big.
 */
export class ProtocolError extends Error {
  /** The close code to send before the connection is dropped. */
  readonly closeCode: number;

  constructor(closeCode: number, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.closeCode = closeCode;
  }
}
