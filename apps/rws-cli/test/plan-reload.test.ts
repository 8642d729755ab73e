import { describe, expect, it } from 'vitest';
import { defaultConfig, type ServerConfig } from '../src/index.js';
import { planReload } from '../src/internal/plan-reload.js';

function config(patch: Partial<ServerConfig> = {}): ServerConfig {
  return { ...defaultConfig('/srv/site'), ...patch };
}

describe('planReload: what a SIGHUP applies', () => {
  it('applies CORS, log format, body limit and static options', () => {
    const next = config({
      logFormat: 'combined',
      maxBodySize: 1024,
      directoryListing: false,
      spaFallback: 'index.html',
      cors: { ...config().cors, allowAll: false, allowOrigins: ['https://a.example'] },
    });
    const plan = planReload(config(), next);
    expect(plan.needsRestart).toEqual([]);
    expect(plan.config).toEqual(next);
  });

  it('keeps ip, port, root, redirect port and workers, listing each change', () => {
    const current = config({ port: 0 });
    const plan = planReload(
      current,
      config({ ip: '0.0.0.0', port: 8080, root: '/other', workers: 4, logFormat: 'pretty' }),
    );
    expect(plan.needsRestart).toEqual([
      'ip (127.0.0.1 → 0.0.0.0)',
      'port (0 → 8080)',
      'root (/srv/site → /other)',
      'workers (1 → 4)',
    ]);
    expect(plan.config).toMatchObject({
      ip: '127.0.0.1',
      port: 0,
      root: '/srv/site',
      workers: 1,
      logFormat: 'pretty',
    });
  });

  it('keeps TLS on/off and mTLS on/off, but applies new certificate paths', () => {
    const tls = config({ tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem' });
    const off = planReload(tls, config());
    expect(off.needsRestart).toEqual(['TLS (on → off)']);
    expect(off.config).toMatchObject({ tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem' });

    const on = planReload(config(), tls);
    expect(on.needsRestart).toEqual(['TLS (off → on)']);
    expect(on.config.tlsCertFile).toBeNull();

    const mtls = planReload(tls, { ...tls, tlsClientCaFile: '/ca.pem' });
    expect(mtls.needsRestart).toEqual(['client certificates (mTLS off → on)']);
    expect(mtls.config.tlsClientCaFile).toBeNull();

    const renewed = planReload(tls, { ...tls, tlsCertFile: '/c2.pem', tlsKeyFile: '/k2.pem' });
    expect(renewed.needsRestart).toEqual([]);
    expect(renewed.config).toMatchObject({ tlsCertFile: '/c2.pem', tlsKeyFile: '/k2.pem' });
  });

  it('lets a config file appear or change name', () => {
    const plan = planReload(config(), config({ configFile: '/srv/site/rws.config.toml' }));
    expect(plan.needsRestart).toEqual([]);
    expect(plan.config.configFile).toBe('/srv/site/rws.config.toml');
  });
});
