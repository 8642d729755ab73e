/**
 * The certificate TLS cases serve: a self-signed EC (P-256) certificate for localhost and
 * 127.0.0.1, made with the `openssl` command line in a temp dir on first use and removed when
 * the harness exits. h2load does not verify certificates, so self-signed is enough; the key
 * type matches what a small deployment gets from Let's Encrypt by default (ECDSA P-256).
 * World-readable, as nginx's worker process reads it as `nobody` when started as root.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsFiles } from './types.js';

let files: Promise<TlsFiles> | undefined;

async function create(): Promise<TlsFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'rws-bench-tls-'));
  await chmod(dir, 0o755);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-sha256',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'pipe' },
  );
  await chmod(keyFile, 0o644);
  return { certFile, keyFile };
}

/** The certificate and key files (created on the first call). */
export function benchCertificate(): Promise<TlsFiles> {
  files ??= create();
  return files;
}
