import { describe, expect, it } from 'vitest';
import { renderBanner } from '../src/index.js';

describe('renderBanner', () => {
  it('plain HTTP, no config file', () => {
    expect(
      renderBanner({
        version: '1.2.3',
        root: '/srv/site',
        configFile: null,
        urls: [
          {
            url: 'http://127.0.0.1:7878',
            protocols: ['http/1.1'],
            transport: 'tcp',
            isRedirect: false,
          },
        ],
        workers: 1,
      }),
    ).toBe('rws 1.2.3 serving /srv/site\n  ➜ http://127.0.0.1:7878/\n  config: none\n');
  });

  it('TLS with a redirect listener, a config file and workers', () => {
    expect(
      renderBanner({
        version: '1.2.3',
        root: '/srv/site',
        configFile: '/srv/site/rws.config.toml',
        urls: [
          {
            url: 'https://[::1]:8443',
            protocols: ['http/1.1'],
            transport: 'tcp',
            isRedirect: false,
          },
          { url: 'http://[::1]:8080', protocols: ['http/1.1'], transport: 'tcp', isRedirect: true },
        ],
        workers: 4,
      }),
    ).toBe(
      [
        'rws 1.2.3 serving /srv/site',
        '  ➜ https://[::1]:8443/',
        '  ➜ http://[::1]:8080/ (redirects to https)',
        '  config: /srv/site/rws.config.toml · 4 workers',
        '',
      ].join('\n'),
    );
  });

  it('issue #8: names the busy default port it moved away from', () => {
    expect(
      renderBanner({
        version: '1.2.3',
        root: '/srv/site',
        configFile: null,
        urls: [
          {
            url: 'http://127.0.0.1:7879',
            protocols: ['http/1.1'],
            transport: 'tcp',
            isRedirect: false,
          },
        ],
        workers: 1,
        busyPort: 7878,
      }),
    ).toBe(
      'rws 1.2.3 serving /srv/site\n  ➜ http://127.0.0.1:7879/\n  port 7878 is in use, so rws took the next free port\n  config: none\n',
    );
  });

  describe('issue #8: -i 0.0.0.0 / :: list every interface', () => {
    const interfaces = {
      lo: [
        {
          address: '127.0.0.1',
          netmask: '255.0.0.0',
          family: 'IPv4',
          mac: '00:00:00:00:00:00',
          internal: true,
          cidr: '127.0.0.1/8',
        },
        {
          address: '::1',
          netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
          family: 'IPv6',
          mac: '00:00:00:00:00:00',
          internal: true,
          cidr: '::1/128',
          scopeid: 0,
        },
      ],
      eth0: [
        {
          address: '192.168.1.20',
          netmask: '255.255.255.0',
          family: 'IPv4',
          mac: '02:42:ac:11:00:02',
          internal: false,
          cidr: '192.168.1.20/24',
        },
        {
          address: 'fe80::42:acff:fe11:2',
          netmask: 'ffff:ffff:ffff:ffff::',
          family: 'IPv6',
          mac: '02:42:ac:11:00:02',
          internal: false,
          cidr: 'fe80::42:acff:fe11:2/64',
          scopeid: 2,
        },
        {
          address: '2001:db8::20',
          netmask: 'ffff:ffff:ffff:ffff::',
          family: 'IPv6',
          mac: '02:42:ac:11:00:02',
          internal: false,
          cidr: '2001:db8::20/64',
          scopeid: 0,
        },
      ],
    } as const;
    const banner = (url: string): string =>
      renderBanner({
        version: '1.2.3',
        root: '/srv/site',
        configFile: null,
        urls: [{ url, protocols: ['http/1.1'], transport: 'tcp', isRedirect: false }],
        workers: 1,
        interfaces: interfaces as unknown as Parameters<typeof renderBanner>[0]['interfaces'],
      });

    it('0.0.0.0: loopback first, then each IPv4 address', () => {
      expect(banner('http://0.0.0.0:7878')).toBe(
        [
          'rws 1.2.3 serving /srv/site',
          '  ➜ http://127.0.0.1:7878/ (local)',
          '  ➜ http://192.168.1.20:7878/ (eth0)',
          '  config: none',
          '',
        ].join('\n'),
      );
    });

    it(':: — IPv4 and IPv6, without link-local addresses', () => {
      expect(banner('https://[::]:8443')).toBe(
        [
          'rws 1.2.3 serving /srv/site',
          '  ➜ https://127.0.0.1:8443/ (local)',
          '  ➜ https://[::1]:8443/ (local)',
          '  ➜ https://192.168.1.20:8443/ (eth0)',
          '  ➜ https://[2001:db8::20]:8443/ (eth0)',
          '  config: none',
          '',
        ].join('\n'),
      );
    });

    it('a specific address is shown as it is', () => {
      expect(banner('http://127.0.0.1:7878')).toContain('  ➜ http://127.0.0.1:7878/\n');
    });
  });
});
