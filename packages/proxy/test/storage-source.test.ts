/**
 * `parseStorageSource`/`openStorageSource`: the storage tables the gateway and `rws`
 * `[acme.storage]` share (issue #22). Keys in the table only where the caller allows them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Server, startS3Server } from '../../storage/test/support/s3-server.js';
import { openStorageSource, parseStorageSource } from '../src/index.js';

const credentials = { accessKeyId: 'AKIDACME', secretAccessKey: 'acme-secret' };
let s3: S3Server;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ['certs'], credentials: [credentials] });
});
afterAll(() => s3.close());

describe('parseStorageSource (issue #22)', () => {
  it('refuses credential keys unless the caller allows them', () => {
    const table = {
      driver: 's3',
      bucket: 'certs',
      access_key_id: 'AKIDACME',
      secret_access_key: 'acme-secret',
    };
    const gateway = parseStorageSource(table);
    expect(gateway.source).toBeNull();
    expect(gateway.problems.map((p) => [p.key, p.message])).toEqual([
      ['access_key_id', 'unknown key'],
      ['secret_access_key', 'unknown key'],
    ]);
    const acme = parseStorageSource(table, { isCredentialAllowed: true });
    expect(acme.problems).toEqual([]);
    expect(acme.source).toMatchObject({
      driver: 's3',
      bucket: 'certs',
      credentials: { accessKeyId: 'AKIDACME', secretAccessKey: 'acme-secret', sessionToken: null },
    });
  });

  it('reports every problem at once, with a did-you-mean for the driver', () => {
    const half = parseStorageSource(
      { driver: 's3', bucket: 'b', access_key_id: 'x', prefix: '../up' },
      { isCredentialAllowed: true },
    );
    expect(half.problems.map((p) => p.key).sort()).toEqual(['prefix', 'secret_access_key']);
    const typo = parseStorageSource({ driver: 's4', bucket: 'b' });
    expect(typo.problems).toEqual([
      {
        key: 'driver',
        message: 'unknown storage driver "s4" (one of local, s3, azure-blob)',
        hint: 'did you mean "s3"?',
      },
    ]);
  });
});

describe('openStorageSource (issue #22)', () => {
  it('signs with the keys of the table against a real S3 server, and a wrong key is refused', async () => {
    const open = (secretAccessKey: string) => {
      const { source } = parseStorageSource(
        {
          driver: 's3',
          bucket: 'certs',
          endpoint: s3.endpoint,
          access_key_id: credentials.accessKeyId,
          secret_access_key: secretAccessKey,
        },
        { isCredentialAllowed: true },
      );
      const opened = openStorageSource(source!, { env: {} });
      if (!('storage' in opened)) throw new Error(opened.problem.message);
      return opened.storage;
    };
    const good = open(credentials.secretAccessKey);
    await good.put('acme/x.json', '{"ok":true}');
    const got = await good.get('acme/x.json');
    expect(await new Response(got!.body).text()).toBe('{"ok":true}');
    await good.close();
    const bad = open('not-the-secret');
    await expect(bad.get('acme/x.json')).rejects.toThrow(/403|SignatureDoesNotMatch/);
    await bad.close();
  });

  it('names the key that keeps a source from opening', () => {
    expect(
      openStorageSource(
        {
          driver: 'azure-blob',
          accountName: 'a',
          container: 'c',
          endpoint: null,
          accountKeyEnv: 'NO_SUCH_KEY',
          prefix: '',
        },
        { env: {} },
      ),
    ).toEqual({
      problem: {
        key: 'account_key_env',
        message: 'environment variable NO_SUCH_KEY is not set or empty',
      },
    });
    expect(
      openStorageSource({ driver: 'local', root: '/nonexistent-rws-root', prefix: '' }),
    ).toEqual({ problem: { key: 'root', message: '/nonexistent-rws-root is not a directory' } });
  });
});
