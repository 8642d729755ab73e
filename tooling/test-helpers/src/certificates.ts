import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server certificate signed by the test CA, by subject and subjectAltName. */
export interface TestServerCertificateSpec {
  /** Subject common name, e.g. `a.rws.test` or `*.wild.rws.test`. */
  cn: string;
  /** subjectAltName entries, e.g. `['DNS:a.rws.test']`. */
  san: readonly string[];
}

/** What `createTestCertificates` generates. */
export interface TestCertificatesOptions<N extends string = never> {
  /** Directory for the PEM files. Default: a new temp dir, removed by `cleanup()`. */
  dir?: string;
  /** Prefix of the temp dir name. Default `rws-test-certs-`. */
  prefix?: string;
  /** Key algorithm. Default `ec` (P-256: much faster to generate than `rsa` 2048). */
  keyType?: 'ec' | 'rsa';
  /**
   * One self-signed certificate for localhost and 127.0.0.1 instead of a CA and leaves:
   * `server` is then its own CA (`ca === server`), usable as a client certificate too.
   */
  selfSigned?: boolean;
  /** More DNS names on the default `server` certificate (SNI), besides localhost. */
  serverNames?: readonly string[];
  /** More CA-signed server certificates, by name (SNI virtual hosts, certificate reloads). */
  servers?: Readonly<Record<N, TestServerCertificateSpec>>;
  /** Also issue `client`: CN=rws client, signed by the CA, extendedKeyUsage=clientAuth. */
  client?: boolean;
  /** Also issue `rogue`: CN=rogue client, self-signed (not from the CA), clientAuth. */
  rogueClient?: boolean;
}

/** One generated certificate: file paths and PEM text. */
export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** The certificate (PEM). */
  cert: string;
  /** Its private key (PEM). */
  key: string;
}

/** The generated CA, server and client certificates. */
export interface TestCertificates<N extends string = never> {
  dir: string;
  /** The test CA (CN=rws test CA), or the self-signed server certificate. */
  ca: TestCertificate;
  /** CN=localhost, SAN localhost + 127.0.0.1 (+ `serverNames`), extendedKeyUsage=serverAuth. */
  server: TestCertificate;
  /** The certificates asked for in `servers`. */
  servers: Record<N, TestCertificate>;
  /** Present when `client` was asked for. */
  client: TestCertificate | null;
  /** Present when `rogueClient` was asked for. */
  rogue: TestCertificate | null;
  /** Removes the temp dir (nothing when `dir` was given). */
  cleanup(): void;
}

/**
 * Generates a test CA and certificates signed by it with the `openssl` command line, for TLS,
 * SNI and mTLS tests: a `server` for localhost, optional named servers and client certificates.
 *
 * @example
 * ```ts
 * const certs = createTestCertificates({
 *   client: true,
 *   servers: { a: { cn: 'a.rws.test', san: ['DNS:a.rws.test'] } },
 * });
 * onTestFinished(certs.cleanup);
 * ```
 */
export function createTestCertificates<N extends string = never>(
  options: TestCertificatesOptions<N> = {},
): TestCertificates<N> {
  const isOwnDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), options.prefix ?? 'rws-test-certs-'));
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const keyArgs =
    options.keyType === 'rsa'
      ? ['-newkey', 'rsa:2048', '-nodes']
      : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const read = (name: string): TestCertificate => {
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    return {
      certFile,
      keyFile,
      cert: readFileSync(certFile, 'utf8'),
      key: readFileSync(keyFile, 'utf8'),
    };
  };
  const serverSan = ['DNS:localhost', ...(options.serverNames ?? []).map((n) => `DNS:${n}`)];
  serverSan.push('IP:127.0.0.1');
  const cleanup = (): void => {
    if (isOwnDir) rmSync(dir, { recursive: true, force: true });
  };

  if (options.selfSigned === true) {
    openssl(
      'req',
      '-x509',
      ...keyArgs,
      '-sha256',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      `subjectAltName=${serverSan.join(',')}`,
      '-keyout',
      'server.key',
      '-out',
      'server.crt',
    );
    const server = read('server');
    return {
      dir,
      ca: server,
      server,
      servers: {} as Record<N, TestCertificate>,
      client: null,
      rogue: null,
      cleanup,
    };
  }

  openssl(
    'req',
    '-x509',
    ...keyArgs,
    '-days',
    '1',
    '-subj',
    '/CN=rws test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  const issue = (name: string, cn: string, ext: string, selfSigned = false): TestCertificate => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(
      'req',
      ...keyArgs,
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    const signer = selfSigned
      ? ['-signkey', `${name}.key`]
      : ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'];
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      ...signer,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
    return read(name);
  };
  const serverExt = (san: readonly string[]): string =>
    `subjectAltName=${san.join(',')}\nextendedKeyUsage=serverAuth\n`;
  const server = issue('server', 'localhost', serverExt(serverSan));
  const servers = {} as Record<N, TestCertificate>;
  const specs = (options.servers ?? {}) as Record<N, TestServerCertificateSpec>;
  for (const name of Object.keys(specs) as N[]) {
    const spec = specs[name];
    servers[name] = issue(name, spec.cn, serverExt(spec.san));
  }
  const client =
    options.client === true ? issue('client', 'rws client', 'extendedKeyUsage=clientAuth\n') : null;
  const rogue =
    options.rogueClient === true
      ? issue('rogue', 'rogue client', 'extendedKeyUsage=clientAuth\n', true)
      : null;
  return { dir, ca: read('ca'), server, servers, client, rogue, cleanup };
}
