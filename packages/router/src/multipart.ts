/**
 * Streaming `multipart/form-data` (RFC 7578) on @fastify/busboy. Parts are yielded in body
 * order; a file's bytes are streamed, never buffered, and the body is pulled from the client
 * only as fast as the handler consumes it.
 */
import type { Readable } from 'node:stream';
import { Busboy } from '@fastify/busboy';
import { isRwsError, type Request, RwsError } from '@rws/core';
import { ERROR_CODES } from './errors.js';
import { mediaType, unsupportedMediaType } from './internal/media.js';

/** Limits of `readMultipart`; each violation is an error naming the limit. */
export interface MultipartOptions {
  /** Maximum bytes of one file (413 `RWS_ROUTER_MULTIPART_FILE_TOO_LARGE`). Default 10 MiB. */
  maxFileBytes?: number | undefined;
  /** Maximum number of files (413 `RWS_ROUTER_MULTIPART_TOO_MANY_FILES`). Default 10. */
  maxFiles?: number | undefined;
  /** Maximum number of non-file fields (413 `RWS_ROUTER_MULTIPART_TOO_MANY_FIELDS`). Default 100. */
  maxFields?: number | undefined;
  /** Maximum bytes of one field value (413 `RWS_ROUTER_MULTIPART_FIELD_TOO_LARGE`). Default 64 KiB. */
  maxFieldBytes?: number | undefined;
  /** Maximum bytes of a field name (413 `RWS_ROUTER_MULTIPART_FIELD_TOO_LARGE`). Default 200. */
  maxFieldNameBytes?: number | undefined;
  /** Maximum number of parts, fields and files together (413). Default 1000. */
  maxParts?: number | undefined;
}

/** A non-file part. */
export interface MultipartField {
  readonly kind: 'field';
  readonly name: string;
  readonly value: string;
  readonly mimeType: string;
}

/**
 * A file part. Read `stream` (or `bytes()`/`text()`) before asking for the next part; a file
 * left unread is skipped when the next part is requested.
 */
export interface MultipartFile {
  readonly kind: 'file';
  readonly name: string;
  readonly filename: string;
  readonly mimeType: string;
  /** The file's bytes, streamed. Fails with a 413 error past `maxFileBytes`. */
  readonly stream: AsyncIterable<Uint8Array>;
  /** Reads the whole file into memory (bounded by `maxFileBytes`). */
  bytes(): Promise<Uint8Array>;
  /** Reads the whole file as UTF-8 text. */
  text(): Promise<string>;
}

/** One part of a multipart body. */
export type MultipartPart = MultipartField | MultipartFile;

const DEFAULTS = {
  maxFileBytes: 10 * 1024 * 1024,
  maxFiles: 10,
  maxFields: 100,
  maxFieldBytes: 64 * 1024,
  maxFieldNameBytes: 200,
  maxParts: 1000,
};

function limitError(code: string, message: string): RwsError {
  return new RwsError(code, message, { status: 413 });
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Re-throws the parser's errors as the RwsError that explains them (limit, malformed body). */
async function* mapErrors(
  stream: Readable,
  mapError: (err: unknown) => unknown,
): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (err) {
    throw mapError(err);
  }
}

class FilePart implements MultipartFile {
  readonly kind = 'file' as const;
  readonly name: string;
  readonly filename: string;
  readonly mimeType: string;
  readonly #stream: Readable;
  readonly #mapError: (err: unknown) => unknown;

  constructor(
    name: string,
    filename: string,
    mimeType: string,
    stream: Readable,
    mapError: (err: unknown) => unknown,
  ) {
    this.name = name;
    this.filename = filename;
    this.mimeType = mimeType;
    this.#stream = stream;
    this.#mapError = mapError;
  }

  get stream(): AsyncIterable<Uint8Array> {
    return mapErrors(this.#stream, this.#mapError);
  }

  bytes(): Promise<Uint8Array> {
    return readAll(this.stream);
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }

  /** Discards whatever was not read, so the parser can reach the next part. */
  skip(): void {
    if (!this.#stream.readableEnded && !this.#stream.destroyed) this.#stream.resume();
  }

  fail(err: unknown): void {
    if (!this.#stream.destroyed) this.#stream.destroy(err as Error);
  }
}

/**
 * Streams the parts of a `multipart/form-data` body. Content-Type other than multipart → 415;
 * malformed body or missing boundary → 400 `RWS_ROUTER_MULTIPART_INVALID`; a limit exceeded →
 * 413 with the limit's code and name in the message.
 *
 * @example
 * ```ts
 * import { readMultipart } from '@rws/router';
 * import type { Request } from '@rws/core';
 * async function upload(req: Request) {
 *   for await (const part of readMultipart(req, { maxFileBytes: 1024 * 1024 })) {
 *     if (part.kind === 'file') for await (const chunk of part.stream) void chunk;
 *     else console.log(part.name, part.value);
 *   }
 * }
 * ```
 */
export async function* readMultipart(
  req: Pick<Request, 'headers' | 'body'>,
  options: MultipartOptions = {},
): AsyncGenerator<MultipartPart, void, undefined> {
  const contentType = req.headers.get('content-type');
  if (mediaType(contentType) !== 'multipart/form-data') {
    throw unsupportedMediaType(req, 'multipart/form-data');
  }
  const limits = { ...DEFAULTS, ...definedOnly(options) };
  let parser: ReturnType<typeof Busboy>;
  try {
    parser = Busboy({
      headers: { 'content-type': contentType! },
      limits: {
        fileSize: limits.maxFileBytes,
        files: limits.maxFiles,
        fields: limits.maxFields,
        fieldSize: limits.maxFieldBytes,
        fieldNameSize: limits.maxFieldNameBytes,
        parts: limits.maxParts,
      },
    });
  } catch (cause) {
    req.body.cancel();
    throw new RwsError(
      ERROR_CODES.MULTIPART_INVALID,
      'multipart body has no usable boundary in its Content-Type',
      { status: 400, cause },
    );
  }

  const queue: MultipartPart[] = [];
  let failure: unknown = null;
  let isFinished = false;
  let isStopped = false;
  let wake: (() => void) | null = null;
  let currentFile: FilePart | null = null;

  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const fail = (err: unknown): void => {
    if (failure === null) failure = err;
    currentFile?.fail(err);
    notify();
  };

  const mapError = (err: unknown): unknown => {
    if (failure !== null) return failure;
    if (isRwsError(err)) return err;
    return new RwsError(ERROR_CODES.MULTIPART_INVALID, 'multipart body is malformed', {
      status: 400,
      cause: err,
    });
  };

  parser.on('file', (name, stream, filename, _encoding, mimeType) => {
    const part = new FilePart(name, filename, mimeType, stream, mapError);
    stream.on('limit', () => {
      fail(
        limitError(
          ERROR_CODES.MULTIPART_FILE_TOO_LARGE,
          `multipart file "${name}" is larger than maxFileBytes (${limits.maxFileBytes})`,
        ),
      );
    });
    stream.on('error', () => {
      // The error reaches the consumer through the stream itself or through `fail`.
    });
    queue.push(part);
    notify();
  });
  parser.on('field', (name, value, isNameTruncated, isValueTruncated, _encoding, mimeType) => {
    if (isNameTruncated) {
      fail(
        limitError(
          ERROR_CODES.MULTIPART_FIELD_TOO_LARGE,
          `multipart field name is longer than maxFieldNameBytes (${limits.maxFieldNameBytes})`,
        ),
      );
    } else if (isValueTruncated) {
      fail(
        limitError(
          ERROR_CODES.MULTIPART_FIELD_TOO_LARGE,
          `multipart field "${name}" is larger than maxFieldBytes (${limits.maxFieldBytes})`,
        ),
      );
    } else {
      queue.push({ kind: 'field', name, value, mimeType });
      notify();
    }
  });
  parser.on('filesLimit', () =>
    fail(
      limitError(
        ERROR_CODES.MULTIPART_TOO_MANY_FILES,
        `multipart body has more files than maxFiles (${limits.maxFiles})`,
      ),
    ),
  );
  parser.on('fieldsLimit', () =>
    fail(
      limitError(
        ERROR_CODES.MULTIPART_TOO_MANY_FIELDS,
        `multipart body has more fields than maxFields (${limits.maxFields})`,
      ),
    ),
  );
  parser.on('partsLimit', () =>
    fail(
      limitError(
        ERROR_CODES.MULTIPART_TOO_MANY_PARTS,
        `multipart body has more parts than maxParts (${limits.maxParts})`,
      ),
    ),
  );
  parser.on('error', (cause: unknown) =>
    fail(
      new RwsError(ERROR_CODES.MULTIPART_INVALID, 'multipart body is malformed', {
        status: 400,
        cause,
      }),
    ),
  );
  parser.on('finish', () => {
    isFinished = true;
    notify();
  });

  // Pull the body into the parser, waiting for `drain` so a slow consumer slows the client.
  const pump = async (): Promise<void> => {
    try {
      for await (const chunk of req.body) {
        if (failure !== null || isStopped) return;
        if (!parser.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              parser.off('drain', done);
              parser.off('error', done);
              resolve();
            };
            parser.on('drain', done);
            parser.on('error', done);
            const prev = wake;
            // A failure or stop while waiting must not leave the pump hanging.
            wake = () => {
              prev?.();
              done();
            };
          });
        }
      }
      if (failure === null && !isStopped) parser.end();
    } catch (err) {
      fail(err);
    }
  };
  void pump();

  try {
    for (;;) {
      if (failure !== null) throw failure;
      const next = queue.shift();
      if (next !== undefined) {
        // Asking for the next part means the consumer is done with the previous file.
        currentFile?.skip();
        currentFile = next.kind === 'file' ? (next as FilePart) : null;
        yield next;
        continue;
      }
      // The consumer wants the next part: discard an unread (or half-read) file.
      currentFile?.skip();
      if (isFinished) return;
      await new Promise<void>((resolve) => {
        const prev = wake;
        wake = () => {
          prev?.();
          resolve();
        };
      });
    }
  } finally {
    if (!isFinished) {
      isStopped = true;
      notify();
      parser.destroy();
    }
  }
}

function definedOnly(options: MultipartOptions): Partial<typeof DEFAULTS> {
  const out: Partial<typeof DEFAULTS> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (out as Record<string, number>)[key] = value as number;
  }
  return out;
}
