import { ERROR_CODES, StorageError } from '../errors.js';

/** Mutable closed state shared by a driver's methods. */
export interface ClosedFlag {
  isClosed: boolean;
}

/** A fresh open flag. */
export function closedFlag(): ClosedFlag {
  return { isClosed: false };
}

/** Throws `RWS_STORAGE_CLOSED` once the driver has been closed. */
export function assertOpen(flag: ClosedFlag, driver: string): void {
  if (flag.isClosed) throw new StorageError(ERROR_CODES.CLOSED, `${driver} storage is closed`);
}
