import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCertificates } from '@rws/test-helpers';

/** A server certificate for localhost/127.0.0.1 and the trust anchor that checks it. */
export interface ServerCredentials {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/**
 * Certificates for the key types CertificateVerify supports: ECDSA P-256 and RSA (signed by a
 * test CA), Ed25519 and ECDSA P-384 (self-signed, so each is its own anchor).
 */
export function makeCredentials(keyType: 'ec' | 'rsa' | 'ed25519' | 'p384'): ServerCredentials {
  if (keyType === 'ec' || keyType === 'rsa') {
    const certs = createTestCertificates({ keyType });
    const out = { cert: certs.server.cert, key: certs.server.key, ca: certs.ca.cert };
    certs.cleanup();
    return out;
  }
  const dir = mkdtempSync(join(tmpdir(), `rws-h3-${keyType}-`));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        ...(keyType === 'p384' ? ['ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1'] : ['ed25519']),
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        'k.pem',
        '-out',
        'c.pem',
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    const cert = readFileSync(join(dir, 'c.pem'), 'utf8');
    return { cert, key: readFileSync(join(dir, 'k.pem'), 'utf8'), ca: cert };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
