import { invalidOption } from './proxy-error.js';

/** A parsed `host:port` / `[v6]:port` (an optional `tcp://` or `udp://` scheme is accepted). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
  /** The normalised `host:port` label. */
  readonly label: string;
}

export function parseHostPort(value: string, option: string): HostPort {
  if (typeof value !== 'string') throw invalidOption(option, value, 'host:port');
  const text = value.replace(/^(tcp|udp):\/\//, '');
  const colon = text.lastIndexOf(':');
  let host = colon === -1 ? '' : text.slice(0, colon);
  const port = Number(text.slice(colon + 1));
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidOption(option, value, 'host:port with a port from 1 to 65535');
  }
  return { host, port, label: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` };
}
