import { describe, expect, it } from 'vitest';
import { openerCommand, urlToOpen } from '../src/internal/open-browser.js';

describe('--open (issue #8)', () => {
  it('the platform opener, or RWS_OPENER', () => {
    const url = 'http://127.0.0.1:7878/';
    expect(openerCommand(url, undefined, 'linux')).toEqual({ file: 'xdg-open', args: [url] });
    expect(openerCommand(url, undefined, 'darwin')).toEqual({ file: 'open', args: [url] });
    expect(openerCommand(url, undefined, 'win32')).toEqual({
      file: 'cmd',
      args: ['/c', 'start', '""', url],
    });
    expect(openerCommand(url, '/usr/bin/firefox', 'linux')).toEqual({
      file: '/usr/bin/firefox',
      args: [url],
    });
  });

  it('opens the site, not the redirect listener; wildcard addresses as loopback', () => {
    const tcp = { protocols: ['http/1.1'], transport: 'tcp' as const };
    expect(
      urlToOpen([
        { ...tcp, url: 'http://0.0.0.0:8080', isRedirect: true },
        { ...tcp, url: 'https://0.0.0.0:8443', isRedirect: false },
      ]),
    ).toBe('https://127.0.0.1:8443/');
    expect(urlToOpen([{ ...tcp, url: 'http://[::]:7878', isRedirect: false }])).toBe(
      'http://[::1]:7878/',
    );
    expect(urlToOpen([])).toBeNull();
  });
});
