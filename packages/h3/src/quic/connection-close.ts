import { QuicError, TRANSPORT_ERROR, transportError } from '../errors.js';
import type { ConnectionCloseFrame } from './frames.js';
import type { PacketSpace } from './packet-space.js';

/** The CONNECTION_CLOSE a local error sends: its transport code, frame type and message. */
export function closeFrameForError(err: unknown): {
  error: QuicError;
  frame: ConnectionCloseFrame;
} {
  const error =
    err instanceof QuicError
      ? err
      : transportError(
          TRANSPORT_ERROR.INTERNAL_ERROR,
          `internal error: ${(err as Error)?.message ?? String(err)}`,
        );
  return {
    error,
    frame: {
      type: 'connection_close',
      isApplication: false,
      errorCode: error.transportCode,
      frameType: error.frameType,
      reason: error.message.slice(0, 100),
    },
  };
}

/**
 * Where a CONNECTION_CLOSE goes and how it reads there: in the 1-RTT space once the handshake is
 * complete, otherwise in the Initial and Handshake spaces that still have keys, where an
 * application close travels as a transport APPLICATION_ERROR without its reason
 * (RFC 9000 §10.2.3).
 */
export function placeClose(
  frame: ConnectionCloseFrame,
  spaces: { initial: PacketSpace; handshake: PacketSpace; application: PacketSpace },
  isHandshakeComplete: boolean,
): { spaces: PacketSpace[]; frame: ConnectionCloseFrame } {
  const app = spaces.application;
  if (app.writeKeys !== undefined && isHandshakeComplete) return { spaces: [app], frame };
  return {
    spaces: [spaces.initial, spaces.handshake].filter((s) => s.writeKeys && !s.isDiscarded),
    frame: frame.isApplication
      ? { ...frame, isApplication: false, errorCode: TRANSPORT_ERROR.APPLICATION_ERROR, reason: '' }
      : frame,
  };
}
