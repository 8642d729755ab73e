import { execFileSync } from 'node:child_process';

/** Hex string (spaces and newlines allowed) to bytes. */
export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/** Bytes to lower-case hex. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Whether a command is on PATH (interop peers from Debian packages). */
export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
