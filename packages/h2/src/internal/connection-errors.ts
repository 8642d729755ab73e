/** The connection errors a server connection raises (RFC 9113 §5.4.1), by GOAWAY code. */
import { ERROR_CODES } from '../errors.js';
import { H2ConnectionError } from '../frame-parser.js';
import { H2_ERROR } from '../frames.js';

export function protocol(message: string): H2ConnectionError {
  return new H2ConnectionError(ERROR_CODES.PROTOCOL_ERROR, message, H2_ERROR.PROTOCOL_ERROR);
}

export function frameSize(message: string): H2ConnectionError {
  return new H2ConnectionError(ERROR_CODES.FRAME_SIZE_ERROR, message, H2_ERROR.FRAME_SIZE_ERROR);
}

export function calm(message: string): H2ConnectionError {
  return new H2ConnectionError(ERROR_CODES.PROTOCOL_ERROR, message, H2_ERROR.ENHANCE_YOUR_CALM);
}
