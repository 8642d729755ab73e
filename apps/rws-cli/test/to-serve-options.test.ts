import { describe, expect, it } from 'vitest';
import { defaultConfig, toServeOptions } from '../src/index.js';

describe('toServeOptions: config → @rws/server options', () => {
  it('defaults: plain HTTP on 127.0.0.1:7878, no body cap', () => {
    expect(toServeOptions(defaultConfig('/srv'))).toEqual({
      host: '127.0.0.1',
      port: 7878,
      workers: 1,
      graceMs: 10_000,
      limits: { maxBodyBytes: Number.MAX_SAFE_INTEGER, bodyTimeoutMs: 60_000 },
      handshakeTimeoutMs: 10_000,
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
      limits: { maxBodyBytes: 10 * 1024 * 1024, bodyTimeoutMs: 60_000 },
      handshakeTimeoutMs: 10_000,
      tlsMinVersion: 'TLSv1.2',
      http2: true,
      enableConnectProtocol: true,
      ocspStapling: true,
      tlsCertFile: '/c.pem',
      tlsKeyFile: '/k.pem',
      tlsClientCaFile: '/ca.pem',
      virtualHosts: [{ domain: 'api.example', certFile: '/api.pem', keyFile: '/api.key' }],
      httpRedirectPort: 8080,
    });
  });

  it('issue #8 hardening keys: ciphers, HSTS, Host check, limits, health paths, admin', () => {
    const config = {
      ...defaultConfig('/srv'),
      tlsCertFile: '/c.pem',
      tlsKeyFile: '/k.pem',
      tlsCiphers: 'ECDHE-RSA-AES128-GCM-SHA256',
      tlsMinVersion: '1.3' as const,
      handshakeTimeoutMs: 5000,
      hsts: 'max-age=60',
      allowedHosts: ['app.test'],
      maxConnections: 0,
      bodyTimeoutMs: 1000,
      healthzPath: '/_/health',
      readyzPath: false as const,
      admin: { host: '127.0.0.1', port: 9100 },
    };
    expect(toServeOptions(config)).toMatchObject({
      tlsCiphers: 'ECDHE-RSA-AES128-GCM-SHA256',
      tlsMinVersion: 'TLSv1.3',
      handshakeTimeoutMs: 5000,
      hsts: 'max-age=60',
      allowedHosts: ['app.test'],
      limits: { maxConnections: 0, bodyTimeoutMs: 1000 },
      health: { healthz: '/_/health', readyz: false },
      admin: { host: '127.0.0.1', port: 9100 },
    });
    expect(toServeOptions({ ...config, allowedHosts: ['ANY'] }).allowedHosts).toBe('any');
    expect(toServeOptions(defaultConfig('/srv')).health).toBeUndefined();
  });

  it('ocsp_stapling off reaches serve() as ocspStapling: false (on by default)', () => {
    const tls = { ...defaultConfig('/srv'), tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem' };
    expect(toServeOptions(tls).ocspStapling).toBe(true);
    expect(toServeOptions({ ...tls, ocspStapling: false }).ocspStapling).toBe(false);
    // Without TLS there is nothing to staple, and serve() gets no TLS options at all.
    expect(toServeOptions(defaultConfig('/srv')).ocspStapling).toBeUndefined();
  });

  it('extended CONNECT (WebSocket over HTTP/2) is on exactly when HTTP/2 is served', () => {
    const tls = { ...defaultConfig('/srv'), tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem' };
    expect(toServeOptions(tls).enableConnectProtocol).toBe(true);
    expect(toServeOptions({ ...tls, http2: false }).enableConnectProtocol).toBe(false);
    expect(toServeOptions(defaultConfig('/srv')).enableConnectProtocol).toBeUndefined();
  });

  it('a redirect port without TLS is dropped (the resolver warns)', () => {
    const options = toServeOptions({ ...defaultConfig('/srv'), httpRedirectPort: 8080 });
    expect(options.httpRedirectPort).toBeUndefined();
  });
});
