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
});
