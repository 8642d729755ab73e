/** Frame opcodes (RFC 6455 §5.2). */
export const OPCODE = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/**
 * True for a close code a peer may send in a Close frame (RFC 6455 §7.4): 1000-1003,
 * 1007-1014 (IANA registry) and 3000-4999. 1004-1006 and 1015 are reserved for local use.
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}
