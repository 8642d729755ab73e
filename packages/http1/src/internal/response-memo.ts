/**
 * The bytes of the last small text response a server wrote, head and body, kept so that a
 * response identical to it is written as the same Buffer instead of building the head again,
 * joining it to the body and encoding the joined string (about a tenth of a hello world's
 * instructions). Responses repeat that way when a handler answers with a constant
 * string (a health check, a fixed message, a prebuilt page) and constant fields.
 *
 * "Identical" is decided on the pieces the head is made of, by reference: the status, the
 * serialised handler fields (FieldBlocks hands out the same string while they repeat), the
 * Connection field the transport adds, the `date`/Server/blank-line end (one string per
 * second), and the body string itself. Equal strings that are different objects count as
 * different: the memo is a shortcut, never a comparison of contents. A response seen once is
 * only remembered; the bytes are encoded when it comes again, so a handler whose body changes
 * every time pays a few comparisons and nothing else.
 *
 * Byte bodies (a proxied response, a cached file) keep only their head's bytes, by the same
 * pieces plus the body's length: a repeated head is copied in front of the body instead of
 * being joined, measured and encoded again (~2k instructions per proxied response).
 */

/** Bodies up to this many characters are remembered; longer ones are written as they come. */
const MAX_BODY_CHARS = 16 * 1024;

export class ResponseMemo {
  #status = 0;
  #fields = '';
  #connection = '';
  #end = '';
  #body: string | null = null;
  /**
   * The head and body as written: a string of octets (an ASCII body), until the bytes are
   * needed, or the bytes themselves (a body beyond ASCII, written as a Buffer).
   */
  #text = '';
  #bytes: Buffer | null = null;
  /** UTF-8 bytes of the remembered body. */
  bodyBytes = 0;
  #headStatus = 0;
  #headFields = '';
  #headConnection = '';
  #headEnd = '';
  #headLength = -1;
  /** The bytes written (head then body) and the head's byte count in them. */
  #written: Uint8Array | null = null;
  #headBytes = 0;
  /** The head's bytes, cut from `#written` once the head repeats. */
  #head: Uint8Array | null = null;

  /**
   * The encoded head and body when they are the last response's (see the module comment),
   * else null. `bodyBytes` is then the body's length.
   */
  bytes(
    status: number,
    fields: string,
    connection: string,
    end: string,
    body: string,
  ): Buffer | null {
    if (
      body !== this.#body ||
      status !== this.#status ||
      fields !== this.#fields ||
      end !== this.#end ||
      connection !== this.#connection
    ) {
      return null;
    }
    // Seen twice in a row: worth encoding once.
    this.#bytes ??= Buffer.from(this.#text, 'latin1');
    return this.#bytes;
  }

  /**
   * Remembers a response just written as `written` (its head followed by `body`): a string
   * when every char is one octet, else its bytes, which must not change afterwards (they were
   * handed to the socket, and nothing writes to them again).
   */
  remember(
    status: number,
    fields: string,
    connection: string,
    end: string,
    body: string,
    bodyBytes: number,
    written: string | Buffer,
  ): void {
    if (body.length > MAX_BODY_CHARS) return;
    this.#status = status;
    this.#fields = fields;
    this.#connection = connection;
    this.#end = end;
    this.#body = body;
    if (typeof written === 'string') {
      this.#text = written;
      this.#bytes = null;
    } else {
      this.#text = '';
      this.#bytes = written;
    }
    this.bodyBytes = bodyBytes;
  }

  /**
   * The encoded head of the last byte-body response when this one's is the same (its pieces
   * by reference, its Content-Length `length`), else null.
   */
  head(
    status: number,
    fields: string,
    connection: string,
    end: string,
    length: number,
  ): Uint8Array | null {
    if (
      length !== this.#headLength ||
      status !== this.#headStatus ||
      fields !== this.#headFields ||
      end !== this.#headEnd ||
      connection !== this.#headConnection
    ) {
      return null;
    }
    // Seen twice in a row: worth a view of its own.
    this.#head ??= this.#written!.subarray(0, this.#headBytes);
    return this.#head;
  }

  /**
   * Remembers a byte-body response just written as `written`, whose first `headBytes` bytes
   * are its head. `written` must not change afterwards (it was handed to the socket, and
   * nothing writes to it again).
   */
  rememberHead(
    status: number,
    fields: string,
    connection: string,
    end: string,
    length: number,
    written: Uint8Array,
    headBytes: number,
  ): void {
    this.#headStatus = status;
    this.#headFields = fields;
    this.#headConnection = connection;
    this.#headEnd = end;
    this.#headLength = length;
    this.#written = written;
    this.#headBytes = headBytes;
    this.#head = null;
  }
}
