import { describe, expect, it } from 'vitest';
import { defaultConfig, toServeOptions } from '../src/index.js';

describe('toServeOptions: config → @rws/server options', () => {
  it('defaults: plain HTTP on 127.0.0.1:7878, no body cap', () => {
    expect(toServeOptions(defaultConfig('/srv'))).toEqual({
      host: '127.0.0.1',
      port: 7878,
      workers: 1,
      graceMs: 10_000,
      limits: { maxBodyBytes: Number.MAX_SAFE_INTEGER },
    });
  });

  it('TLS, SNI virtual hosts, mTLS CA, redirect port, body limit, workers', () => {
    const config = {
      ...defaultConfig('/srv'),
      ip: '::',
      port: 8443,
      tlsCertFile: '/c.pem',
      tlsKeyFile: '/k.pem',
      tlsClientCaFile: '/ca.pem',
      httpRedirectPort: 8080,
      maxBodySize: 10 * 1024 * 1024,
      workers: 'auto' as const,
      shutdownGraceMs: 250,
      virtualHosts: [{ domain: 'api.example', certFile: '/api.pem', keyFile: '/api.key' }],
    };
    expect(toServeOptions(config)).toEqual({
      host: '::',
      port: 8443,
      workers: 'auto',
      graceMs: 250,
      limits: { maxBodyBytes: 10 * 1024 * 1024 },
      tlsCertFile: '/c.pem',
      tlsKeyFile: '/k.pem',
      tlsClientCaFile: '/ca.pem',
      virtualHosts: [{ domain: 'api.example', certFile: '/api.pem', keyFile: '/api.key' }],
      httpRedirectPort: 8080,
    });
  });

  it('a redirect port without TLS is dropped (the resolver warns)', () => {
    const options = toServeOptions({ ...defaultConfig('/srv'), httpRedirectPort: 8080 });
    expect(options.httpRedirectPort).toBeUndefined();
  });
});
