import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { dkimVerify } from 'mailauth';
import { simpleParser } from 'mailparser';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createMailer } from '../src/index.js';
import { startPeer } from './smtp-peer.js';

/** A DNS TXT record for the key, as RFC 6376 §3.6.1 / RFC 8463 §4.2 publish it. */
function txtRecord(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  if (publicKey.asymmetricKeyType === 'ed25519')
    return `v=DKIM1; k=ed25519; p=${der.subarray(der.length - 32).toString('base64')}`;
  return `v=DKIM1; k=rsa; p=${der.toString('base64')}`;
}

const keys = {
  'rsa-sha256': generateKeyPairSync('rsa', { modulusLength: 2048 }),
  'ed25519-sha256': generateKeyPairSync('ed25519'),
};

describe('DKIM (relaxed/relaxed), verified by mailauth after a real SMTP hop', () => {
  for (const [algorithm, pair] of Object.entries(keys)) {
    test(algorithm, async () => {
      const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
      const mailer = createMailer({
        host: '127.0.0.1',
        port: peer.port,
        secure: 'none',
        dkim: { domainName: 'example.com', keySelector: 'sel1', privateKey: pair.privateKey },
      });
      onTestFinished(() => mailer.close());
      await mailer.send({
        from: 'Zoë <zoe@example.com>',
        to: 'bob@example.org',
        subject: 'Signed — ünïcode   with  spaces',
        text: 'line with trailing spaces   \n\n.dot line\n\n\n',
        html: '<p>hi</p>',
        attachments: [{ filename: 'a.bin', content: Buffer.alloc(300, 1) }],
      });
      const raw = peer.received[0]?.raw as Buffer;
      expect(raw.toString()).toContain(`a=${algorithm}; c=relaxed/relaxed; d=example.com; s=sel1`);
      const resolver = async (name: string, rr: string): Promise<string[][]> => {
        if (name === 'sel1._domainkey.example.com' && rr === 'TXT')
          return [[txtRecord(pair.publicKey)]];
        throw Object.assign(new Error(`no ${rr} for ${name}`), { code: 'ENOTFOUND' });
      };
      const result = await dkimVerify(raw, { resolver });
      expect(result.results).toHaveLength(1);
      expect(result.results[0]?.status.result).toBe('pass');
      expect(result.results[0]?.status.aligned).toBe('example.com');

      // The same bytes with one body character changed must fail: the check can fail.
      const tampered = Buffer.from(
        raw.toString('latin1').replace('.dot line', '.dot lime'),
        'latin1',
      );
      const bad = await dkimVerify(tampered, { resolver });
      expect(bad.results[0]?.status.result).not.toBe('pass');
      expect(bad.results[0]?.info).toMatch(/body hash did not verify/);
      // The message itself is intact after signing.
      expect((await simpleParser(raw)).subject).toBe('Signed — ünïcode   with  spaces');
    });
  }
});
