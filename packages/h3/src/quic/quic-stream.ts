import { ERROR_CODES, QuicError, TRANSPORT_ERROR, transportError } from '../errors.js';
import type { Frame, StreamFrame } from './frames.js';
import { ReassemblyBuffer } from './reassembly-buffer.js';
import { ReceiveWindow } from './receive-window.js';

/** Bytes a writer may queue before write() waits for the peer to take them. */
const SEND_HIGH_WATER = 256 * 1024;

/** What a stream needs from its connection. */
export interface StreamOwner {
  /** New data, a FIN or a window update is ready to send. */
  scheduleFlush(): void;
  /** The application consumed `bytes` received bytes (connection-level window). */
  onConsumed(bytes: number): void;
  /** The smoothed RTT, which decides whether a receive window grows. */
  readonly smoothedRttMs: number;
  /** The largest receive window a stream may tune itself up to. */
  readonly maxStreamWindow: number;
  /** A stream's receive window grew to `size` (the connection window follows). */
  onStreamWindow(size: number): void;
  /** The stream may have finished both ways (the owner checks `isDone` and retires it). */
  onProgress(stream: QuicStream): void;
  /** Queues a RESET_STREAM or STOP_SENDING frame for the next 1-RTT packet. */
  queueControl(frame: Frame): void;
}

/**
 * One QUIC stream: an ordered byte stream each way (bidirectional) or one way. Writes queue
 * with backpressure (`write()` resolves when the queue is below its high-water mark); reads are
 * an async iteration of chunks, and consuming them is what opens the peer's flow-control
 * window, so a slow reader slows the sender.
 * @see RFC 9000 §2, §3, §4
 */
export class QuicStream implements AsyncIterable<Uint8Array> {
  readonly id: number;
  readonly #owner: StreamOwner;
  // Send side.
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #sendOffset = 0;
  #isFinQueued = false;
  #isFinSent = false;
  #maxSendData: number;
  #retransmit: StreamFrame[] = [];
  /** STREAM frames sent and not yet acknowledged or declared lost. */
  #inFlight = 0;
  #drainWaiters: Array<() => void> = [];
  #deliveredWaiters: Array<() => void> = [];
  #sendError: QuicError | undefined;
  // Receive side.
  readonly #recv: ReassemblyBuffer;
  readonly #window: ReceiveWindow;
  #finalSize = -1;
  #consumed = 0;
  #readable: Uint8Array[] = [];
  #readWaiter: (() => void) | undefined;
  #recvError: QuicError | undefined;
  #isMaxDataDue = false;
  #isAbortReported = false;
  /** The application error code of the peer's RESET_STREAM or STOP_SENDING, if any. */
  peerErrorCode: number | undefined;
  /**
   * Called once when the peer abandons the stream: RESET_STREAM (it stops sending) or
   * STOP_SENDING (it stops reading), with the error that pending reads or writes get.
   */
  onAbort: ((error: QuicError) => void) | undefined;

  constructor(id: number, owner: StreamOwner, maxSendData: number, recvWindow: number) {
    this.id = id;
    this.#owner = owner;
    this.#maxSendData = maxSendData;
    this.#window = new ReceiveWindow(recvWindow, owner.maxStreamWindow, performance.now());
    this.#recv = new ReassemblyBuffer(recvWindow, TRANSPORT_ERROR.FLOW_CONTROL_ERROR);
  }

  /**
   * Queues bytes to send; resolves when the queue has room again. The bytes are copied once
   * here, so the caller may reuse its buffer at once, and STREAM frames (and their
   * retransmissions) are views of the copy rather than one fresh buffer per packet. A list of
   * chunks is queued as one piece, copied once (a frame header and its payload, say).
   */
  write(data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    return this.writeOwned(copyOf(data));
  }

  /**
   * Queues `chunk` without copying it: the caller hands it over and must not change it
   * afterwards (STREAM frames and their retransmissions are views of it until acknowledged).
   * For a producer that fills a fresh buffer per chunk anyway, such as a file read.
   */
  writeOwned(chunk: Uint8Array): Promise<void> {
    if (this.#sendError) return Promise.reject(this.#sendError);
    if (this.#isFinQueued)
      return Promise.reject(
        new QuicError(ERROR_CODES.STREAM_RESET, `stream ${this.id} was ended`, 0),
      );
    if (chunk.length > 0) {
      this.#queue.push(chunk);
      this.#queuedBytes += chunk.length;
      this.#owner.scheduleFlush();
    }
    if (this.#queuedBytes < SEND_HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Ends the send side (FIN) after any queued bytes. */
  end(): void {
    if (this.#isFinQueued) return;
    this.#isFinQueued = true;
    this.#owner.scheduleFlush();
  }

  /** Whether a frame is waiting to go out (new data within the window, a FIN or a retransmit). */
  get hasDataToSend(): boolean {
    if (this.#sendError) return false;
    if (this.#retransmit.length > 0) return true;
    if (this.#queuedBytes > 0 && this.#sendOffset < this.#maxSendData) return true;
    return this.#isFinQueued && !this.#isFinSent && this.#queuedBytes === 0;
  }

  /**
   * The next STREAM frame of at most `maxData` data bytes, with new data limited to
   * `connectionCredit`; the credit it used is how far `sendOffset` moved.
   */
  takeFrame(maxData: number, connectionCredit: number): StreamFrame | undefined {
    if (maxData <= 0) return undefined;
    const again = this.#retransmit.shift();
    if (again !== undefined) {
      this.#inFlight++;
      if (again.data.length <= maxData) return again;
      const head = { ...again, data: again.data.subarray(0, maxData), fin: false };
      this.#retransmit.unshift({
        ...again,
        offset: again.offset + maxData,
        data: again.data.subarray(maxData),
      });
      return head;
    }
    const limit = Math.min(
      maxData,
      this.#maxSendData - this.#sendOffset,
      connectionCredit,
      this.#queuedBytes,
    );
    if (limit <= 0 && !(this.#queuedBytes === 0 && this.#isFinQueued && !this.#isFinSent))
      return undefined;
    const data = this.#dequeue(Math.max(0, limit));
    const offset = this.#sendOffset;
    this.#sendOffset += data.length;
    const fin = this.#isFinQueued && this.#queuedBytes === 0;
    if (fin) this.#isFinSent = true;
    this.#inFlight++;
    return { type: 'stream', streamId: this.id, offset, data, fin };
  }

  /** Bytes of new data taken into STREAM frames so far (retransmissions not counted). */
  get sendOffset(): number {
    return this.#sendOffset;
  }

  #dequeue(n: number): Uint8Array {
    const head = this.#queue[0];
    if (head !== undefined && head.length >= n) {
      // The common case: one queued chunk covers the frame, which takes a view of it.
      if (head.length === n) this.#queue.shift();
      else this.#queue[0] = head.subarray(n);
      this.#afterDequeue(n);
      return head.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#queue[0]!;
      const take = Math.min(head.length, n - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(take);
    }
    this.#afterDequeue(n);
    return out;
  }

  #afterDequeue(n: number): void {
    this.#queuedBytes -= n;
    if (this.#queuedBytes < SEND_HIGH_WATER && this.#drainWaiters.length > 0) {
      for (const resolve of this.#drainWaiters.splice(0)) resolve();
    }
  }

  /** A STREAM frame of ours was declared lost: send its bytes again. */
  onLost(frame: StreamFrame): void {
    this.#inFlight--;
    if (!this.#sendError) this.#retransmit.push(frame);
  }

  /** A STREAM frame of ours was acknowledged. */
  onAcked(): void {
    this.#inFlight--;
    this.#checkDelivered();
    this.#owner.onProgress(this);
  }

  /**
   * Resolves once the send side is over: everything up to the FIN acknowledged, or the stream
   * reset, or the connection closed. A graceful shutdown waits for it before closing.
   */
  delivered(): Promise<void> {
    return new Promise((resolve) => {
      this.#deliveredWaiters.push(resolve);
      this.#checkDelivered();
    });
  }

  #checkDelivered(): void {
    if (this.#deliveredWaiters.length === 0 || !this.isDone(true, false)) return;
    for (const resolve of this.#deliveredWaiters.splice(0)) resolve();
  }

  /**
   * Whether both directions are finished: everything received was read (or the peer reset
   * it), and our FIN was sent and acknowledged (or sending was stopped). `canSend` and
   * `canReceive` are false for the missing direction of a unidirectional stream.
   */
  isDone(canSend: boolean, canReceive: boolean): boolean {
    // After stopSending() the stream stays until the final size is known, so bytes still
    // arriving are credited to the connection window rather than dropped uncounted.
    const isReceiveDone =
      !canReceive || this.isReadDone || (this.#recvError !== undefined && this.#finalSize >= 0);
    const isSendDone =
      !canSend ||
      this.#sendError !== undefined ||
      (this.#isFinSent && this.#inFlight <= 0 && this.#retransmit.length === 0);
    return isReceiveDone && isSendDone;
  }

  /** The peer raised our send limit (MAX_STREAM_DATA). */
  onMaxStreamData(maximum: number): void {
    if (maximum > this.#maxSendData) this.#maxSendData = maximum;
  }

  /**
   * The peer asked us to stop sending (STOP_SENDING): we abandon the send side and answer
   * with RESET_STREAM carrying its code (RFC 9000 §3.5).
   */
  onStopSending(errorCode: number): void {
    const error = new QuicError(
      ERROR_CODES.STREAM_RESET,
      `the peer stopped stream ${this.id} with code ${errorCode}`,
      0,
    );
    this.#abandonSend(error, errorCode);
    this.#reportAbort(error, errorCode);
  }

  /**
   * Abandons our send side (RESET_STREAM with an application error code): queued and
   * unacknowledged bytes are dropped, pending and later writes fail. Nothing happens when
   * everything up to the FIN was already sent.
   */
  reset(errorCode: number): void {
    this.#abandonSend(
      new QuicError(
        ERROR_CODES.STREAM_RESET,
        `stream ${this.id} was reset with code ${errorCode}`,
        0,
      ),
      errorCode,
    );
  }

  #abandonSend(error: QuicError, errorCode: number): void {
    if (this.#sendError !== undefined) return;
    const isAllSent = this.#isFinSent && this.#retransmit.length === 0 && this.#inFlight <= 0;
    this.#sendError = error;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#retransmit = [];
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
    this.#checkDelivered();
    if (!isAllSent) {
      this.#owner.queueControl({
        type: 'reset_stream',
        streamId: this.id,
        errorCode,
        finalSize: this.#sendOffset,
      });
    }
    this.#owner.onProgress(this);
  }

  /**
   * Stops reading (STOP_SENDING with an application error code): unread bytes are dropped
   * (their flow-control credit returned) and the reader ends with an error. Nothing happens
   * when everything was received already.
   */
  stopSending(errorCode: number): void {
    if (this.#recvError !== undefined || this.isReadDone) return;
    this.#recvError = new QuicError(
      ERROR_CODES.STREAM_RESET,
      `reading stream ${this.id} was stopped with code ${errorCode}`,
      0,
    );
    for (const chunk of this.#readable.splice(0)) this.#credit(chunk.length);
    if (this.#finalSize >= 0) this.#credit(this.#finalSize - this.#consumed);
    if (this.#finalSize < 0) {
      this.#owner.queueControl({ type: 'stop_sending', streamId: this.id, errorCode });
    }
    this.#wakeReader();
    this.#owner.onProgress(this);
  }

  #credit(bytes: number): void {
    // Never past the final size: a reset already credited everything up to it.
    if (this.#finalSize >= 0) bytes = Math.min(bytes, this.#finalSize - this.#consumed);
    if (bytes <= 0) return;
    this.#consumed += bytes;
    this.#owner.onConsumed(bytes);
  }

  #reportAbort(error: QuicError, errorCode: number): void {
    this.peerErrorCode ??= errorCode;
    if (this.#isAbortReported) return;
    this.#isAbortReported = true;
    this.onAbort?.(error);
  }

  /** Processes a STREAM frame; returns the bytes newly received (for connection flow control). */
  onData(frame: StreamFrame): number {
    const end = frame.offset + frame.data.length;
    if (this.#finalSize >= 0 && (end > this.#finalSize || (frame.fin && end !== this.#finalSize))) {
      throw transportError(
        TRANSPORT_ERROR.FINAL_SIZE_ERROR,
        `stream ${this.id} data changes its final size`,
        0x08,
      );
    }
    if (frame.fin) {
      if (end < this.#highestReceived) {
        throw transportError(
          TRANSPORT_ERROR.FINAL_SIZE_ERROR,
          `stream ${this.id} ends below data already received`,
          0x08,
        );
      }
      this.#finalSize = end;
    }
    if (end > this.#window.limit) {
      throw transportError(
        TRANSPORT_ERROR.FLOW_CONTROL_ERROR,
        `stream ${this.id} data beyond its flow-control limit`,
        0x08,
      );
    }
    const before = this.#highestReceived;
    this.#highestReceived = Math.max(before, end);
    this.#recv.insert(frame.offset, frame.data);
    for (let chunk = this.#recv.read(); chunk !== undefined; chunk = this.#recv.read()) {
      // After stopSending() nobody reads: the bytes only return their credit.
      if (this.#recvError === undefined) this.#readable.push(chunk);
      else this.#credit(chunk.length);
    }
    this.#wakeReader();
    if (this.#recvError !== undefined && this.#finalSize >= 0) {
      // Nobody reads: everything up to the final size counts as consumed, gaps included.
      this.#credit(this.#finalSize - this.#consumed);
      this.#owner.onProgress(this);
    }
    return this.#highestReceived - before;
  }

  #highestReceived = 0;

  /** The peer abandoned its send side (RESET_STREAM). */
  onReset(errorCode: number, finalSize: number): number {
    if (this.#finalSize >= 0 && finalSize !== this.#finalSize) {
      throw transportError(
        TRANSPORT_ERROR.FINAL_SIZE_ERROR,
        `stream ${this.id} reset with a different final size`,
        0x04,
      );
    }
    const grown = Math.max(0, finalSize - this.#highestReceived);
    this.#highestReceived = Math.max(this.#highestReceived, finalSize);
    this.#finalSize = finalSize;
    const error = new QuicError(
      ERROR_CODES.STREAM_RESET,
      `the peer reset stream ${this.id} with code ${errorCode}`,
      0,
    );
    // A reset after we stopped reading keeps our own error for the reader.
    this.#recvError ??= error;
    this.#readable = [];
    // Bytes that will never be read still count as consumed, or the connection window shrinks.
    this.#credit(finalSize - this.#consumed);
    this.#wakeReader();
    this.#reportAbort(error, errorCode);
    this.#owner.onProgress(this);
    return grown;
  }

  /** The connection ended: fail pending reads and writes. */
  onConnectionClosed(error: QuicError): void {
    this.#recvError ??= error;
    this.#sendError ??= error;
    this.#wakeReader();
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
    this.#checkDelivered();
  }

  #wakeReader(): void {
    const waiter = this.#readWaiter;
    this.#readWaiter = undefined;
    waiter?.();
  }

  /** A MAX_STREAM_DATA value to send, if the reader has consumed half the window. */
  takeMaxStreamData(): number | undefined {
    if (!this.#isMaxDataDue) return undefined;
    this.#isMaxDataDue = false;
    return this.#window.limit;
  }

  /** The current receive window in bytes (it grows while the reader keeps up; RFC 9000 §4.2). */
  get receiveWindow(): number {
    return this.#window.size;
  }

  #extendWindow(): void {
    const before = this.#window.size;
    const limit = this.#window.onConsumed(
      this.#consumed,
      performance.now(),
      this.#owner.smoothedRttMs,
    );
    if (limit === undefined) return;
    if (this.#window.size > before) {
      this.#recv.maxBufferedBytes = this.#window.size;
      this.#owner.onStreamWindow(this.#window.size);
    }
    this.#isMaxDataDue = true;
    this.#owner.scheduleFlush();
  }

  /** Whether every byte up to the FIN has been read. */
  get isReadDone(): boolean {
    return this.#finalSize >= 0 && this.#consumed === this.#finalSize;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = this.#readable.shift();
      if (chunk !== undefined) {
        this.#consumed += chunk.length;
        // Extend the window once half of it is used, so the sender never stalls on a fast reader.
        if (this.#finalSize < 0) this.#extendWindow();
        this.#owner.onConsumed(chunk.length);
        yield chunk;
        continue;
      }
      if (this.#recvError) throw this.#recvError;
      if (this.isReadDone) {
        this.#owner.onProgress(this);
        return;
      }
      await new Promise<void>((resolve) => {
        this.#readWaiter = resolve;
      });
    }
  }
}

/** One new buffer holding `data` (a chunk, or chunks end to end). */
function copyOf(data: Uint8Array | readonly Uint8Array[]): Uint8Array {
  let length = 0;
  if (data instanceof Uint8Array) length = data.length;
  else for (const chunk of data) length += chunk.length;
  const out = unfilledBytes(length);
  if (data instanceof Uint8Array) {
    out.set(data);
    return out;
  }
  let at = 0;
  for (const chunk of data) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * `length` bytes that are not zero-filled first: every byte is overwritten at once, and a
 * download passes each of its bytes through here (zero-filling was a second pass over them).
 * A plain Uint8Array over the buffer's own memory, so STREAM frames stay cheap views.
 */
function unfilledBytes(length: number): Uint8Array {
  // Small writes (frame headers, control streams) stay on V8's heap, which is cheaper.
  if (length < 1024) return new Uint8Array(length);
  const buf = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buf.buffer, buf.byteOffset, length);
}
