/**
 * The bytes of the last small text response a server wrote, head and body, kept so that a
 * response identical to it is written as the same Buffer instead of building the head again,
 * joining it to the body and encoding the joined string (about a tenth of a hello world's
 * instructions). Responses repeat that way when a handler answers with a constant
 * string (a health check, a fixed message, a prebuilt page) and constant fields.
 *
 * "Identical" is decided on the pieces the head is made of, by reference: the status, the
 * serialised handler fields (FieldBlocks hands out the same strings while they repeat), the
 * Connection field the transport adds, the `date`/Server/blank-line end (one string per
 * second), and the body string itself. Equal strings that are different objects count as
 * different: the memo is a shortcut, never a comparison of contents. A response seen once is
 * only remembered; the bytes are encoded when it comes again, so a handler whose body changes
 * every time pays a few comparisons and nothing else.
 *
 * Byte bodies (a proxied response, a cached file) keep only their head's bytes, by the same
 * pieces plus the body's length: a repeated head is copied in front of the body instead of
 * being joined, measured and encoded again (~2k instructions per proxied response).
 *
 * The fields are compared as FieldBlocks splits them: the fields before the last (`lead`) and
 * the last one's name, with the last value as a hole (HoledBytes). A response whose last field
 * changes every time (`x-request-id`, which `requestId()` adds to every response) is written as
 * the remembered bytes around that value with the new value between them. Comparing the whole
 * serialised fields instead flattened and compared two ~200-char strings per response that
 * could never hit, then built and encoded the head again: the hole saves ~1.7k instructions
 * per gateway request (callgrind, `pnpm bench:profile rws-gateway`).
 */
import type { FieldBlocks } from './field-block.js';
import { HoledBytes } from './holed-bytes.js';

/** Bodies up to this many characters are remembered; longer ones are written as they come. */
const MAX_BODY_CHARS = 16 * 1024;

export class ResponseMemo {
  #status = 0;
  #lead = '';
  #tailName = '';
  #connection = '';
  #end = '';
  #body: string | null = null;
  /**
   * The head and body as written while they are a string of octets (an ASCII body), until the
   * bytes are needed: then, or for a body beyond ASCII (written as a Buffer), `#written` holds
   * them.
   */
  #text = '';
  #textHole = 0;
  #textValue = '';
  #written = new HoledBytes();
  /** UTF-8 bytes of the remembered body. */
  bodyBytes = 0;
  #headStatus = 0;
  #headLead = '';
  #headTailName = '';
  #headConnection = '';
  #headEnd = '';
  #headLength = -1;
  /** The head of the last byte-body response. */
  #head = new HoledBytes();

  /**
   * The encoded head and body when they are the last response's but perhaps for the last
   * field's value (see the module comment), else null. `bodyBytes` is then the body's length.
   */
  bytes(
    status: number,
    fields: FieldBlocks,
    connection: string,
    end: string,
    body: string,
  ): Uint8Array | null {
    if (
      body !== this.#body ||
      status !== this.#status ||
      fields.lead !== this.#lead ||
      fields.tailName !== this.#tailName ||
      end !== this.#end ||
      connection !== this.#connection
    ) {
      return null;
    }
    const text = this.#text;
    if (text !== '') {
      // Seen twice in a row: worth encoding once.
      this.#written.hold(Buffer.from(text, 'latin1'), text.length, this.#textHole, this.#textValue);
      this.#text = '';
    }
    return this.#written.with(fields.tailValue);
  }

  /**
   * Remembers a response just written as `written` (its head followed by `body`), the value
   * of its last field (`fields.tailValue`, when it has one) starting at `holeStart`:
   * `written` is a string when every char is one octet, else its bytes, which must not change
   * afterwards (they were handed to the socket, and nothing writes to them again).
   */
  remember(
    status: number,
    fields: FieldBlocks,
    connection: string,
    end: string,
    body: string,
    bodyBytes: number,
    written: string | Buffer,
    holeStart: number,
  ): void {
    if (body.length > MAX_BODY_CHARS) return;
    this.#status = status;
    this.#lead = fields.lead;
    this.#tailName = fields.tailName;
    this.#connection = connection;
    this.#end = end;
    this.#body = body;
    if (typeof written === 'string') {
      this.#text = written;
      this.#textHole = holeStart;
      this.#textValue = fields.tailValue;
    } else {
      this.#text = '';
      this.#written.hold(written, written.byteLength, holeStart, fields.tailValue);
    }
    this.bodyBytes = bodyBytes;
  }

  /**
   * `body` behind the head of the last byte-body response, in one new buffer, when this one's
   * head is the same but perhaps for its last field's value (its pieces by reference, its
   * Content-Length the body's length), else null.
   */
  headAndBody(
    status: number,
    fields: FieldBlocks,
    connection: string,
    end: string,
    body: Uint8Array,
  ): Buffer | null {
    if (
      body.byteLength !== this.#headLength ||
      status !== this.#headStatus ||
      fields.lead !== this.#headLead ||
      fields.tailName !== this.#headTailName ||
      end !== this.#headEnd ||
      connection !== this.#headConnection
    ) {
      return null;
    }
    return this.#head.withThen(fields.tailValue, body);
  }

  /**
   * Remembers a byte-body response just written as `written`, whose first `headBytes` bytes
   * are its head, the value of its last field (`fields.tailValue`, when it has one)
   * starting at `holeStart`. `written` must not change afterwards (it was handed to the
   * socket, and nothing writes to it again).
   */
  rememberHead(
    status: number,
    fields: FieldBlocks,
    connection: string,
    end: string,
    written: Uint8Array,
    headBytes: number,
    holeStart: number,
  ): void {
    this.#headStatus = status;
    this.#headLead = fields.lead;
    this.#headTailName = fields.tailName;
    this.#headConnection = connection;
    this.#headEnd = end;
    this.#headLength = written.byteLength - headBytes;
    this.#head.hold(written, headBytes, holeStart, fields.tailValue);
  }
}
