/** Test helper: the `MailerError` a promise rejects with; fails when it resolves. */
import { isRwsError } from '@rws/core';
import type { MailerError } from '../src/index.js';

export async function rejection(p: Promise<unknown>): Promise<MailerError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  if (!isRwsError(err)) throw err;
  return err as MailerError;
}
