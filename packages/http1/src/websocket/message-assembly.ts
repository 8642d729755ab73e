import { Buffer, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import type { Frame } from './frame-parser.js';
import { compressedLimit, concat, decodeOrThrow } from './message-parts.js';
import { OPCODE } from './opcodes.js';
import type { PerMessageDeflate } from './permessage-deflate.js';
import { ProtocolError } from './protocol-error.js';
import type { WebSocketMessage } from './web-socket-types.js';

const NO_PARTS: Uint8Array[] = [];

function tooLarge(maxMessageBytes: number): ProtocolError {
  return new ProtocolError(1009, `a message exceeds ${maxMessageBytes} bytes`);
}

/**
 * A message in one uncompressed frame, the common case: no assembly state, and UTF-8 checked
 * in one native pass (RFC 6455 §8.1) rather than through a TextDecoder per message. Throws a
 * ProtocolError for a message over the limit or text that is not UTF-8. `isLent`: the payload
 * belongs to a lent chunk (see ByteChannel.lendsChunks), so a binary message is copied.
 */
export function wholeMessageOf(
  frame: Frame,
  maxMessageBytes: number,
  isLent: boolean,
): WebSocketMessage {
  const payload = frame.payload as Buffer;
  if (payload.byteLength > maxMessageBytes) throw tooLarge(maxMessageBytes);
  if (frame.opcode === OPCODE.TEXT) {
    if (!isUtf8(payload)) throw new ProtocolError(1007, 'a text message is not valid UTF-8');
    // No arguments: Buffer's own fast path to the UTF-8 decoder (an encoding name is looked up).
    return payload.toString();
  }
  return isLent ? Buffer.from(payload) : payload;
}

/**
 * Puts a message together from its fragments (RFC 6455 §5.4) and inflates it when it is
 * compressed (RFC 7692): the state a socket needs only while such a message is under way, so
 * a socket makes one only for its first fragmented or compressed message.
 */
export class MessageAssembly {
  readonly #maxMessageBytes: number;
  readonly #deflate: PerMessageDeflate | null;
  readonly #isLent: boolean;
  #opcode = 0;
  #isCompressed = false;
  #parts: Uint8Array[] = NO_PARTS;
  #bytes = 0;
  #text = '';
  #decoder: TextDecoder | null = null;

  constructor(maxMessageBytes: number, deflate: PerMessageDeflate | null, isLent: boolean) {
    this.#maxMessageBytes = maxMessageBytes;
    this.#deflate = deflate;
    this.#isLent = isLent;
  }

  /**
   * Adds a data frame: null while more fragments follow, else the whole message, or a promise
   * of it while it inflates. Throws (or rejects with) a ProtocolError for a violation.
   */
  add(frame: Frame): WebSocketMessage | Promise<WebSocketMessage> | null {
    if (frame.opcode !== OPCODE.CONTINUATION) {
      this.#opcode = frame.opcode;
      this.#isCompressed = frame.rsv1;
      this.#parts = [];
      this.#bytes = 0;
      this.#text = '';
      this.#decoder =
        frame.opcode === OPCODE.TEXT && !frame.rsv1
          ? new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
          : null;
    }
    this.#bytes += frame.payload.byteLength;
    const limit = this.#isCompressed
      ? compressedLimit(this.#maxMessageBytes)
      : this.#maxMessageBytes;
    if (this.#bytes > limit) throw tooLarge(this.#maxMessageBytes);
    if (this.#decoder !== null) {
      // Streaming decode validates UTF-8 across fragment boundaries and fails fast.
      this.#text += decodeOrThrow(this.#decoder, frame.payload, !frame.fin);
    } else {
      this.#parts.push(this.#isLent ? Buffer.from(frame.payload) : frame.payload);
    }
    if (!frame.fin) return null;
    const deflate = this.#deflate;
    if (this.#isCompressed && deflate !== null) {
      const compressed = concat(this.#parts, this.#bytes);
      const isText = this.#opcode === OPCODE.TEXT;
      this.#parts = NO_PARTS;
      return deflate
        .decompress(compressed, this.#maxMessageBytes)
        .then((inflated) =>
          isText
            ? decodeOrThrow(
                new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }),
                inflated,
                false,
              )
            : inflated,
        );
    }
    const message = this.#decoder !== null ? this.#text : concat(this.#parts, this.#bytes);
    this.#parts = NO_PARTS;
    this.#text = '';
    this.#decoder = null;
    return message;
  }
}
