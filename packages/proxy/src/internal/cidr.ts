import { BlockList, isIP } from 'node:net';
import { invalidOption } from './proxy-error.js';

/**
 * A matcher for trusted proxy addresses: CIDRs (`10.0.0.0/8`, `::1/128`) or single addresses.
 * IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`) match IPv4 rules.
 */
export function createAddressMatcher(
  list: readonly string[],
  option: string,
): (address: string) => boolean {
  if (list.length === 0) return () => false;
  const blocks = new BlockList();
  for (const entry of list) {
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0) throw invalidOption(option, entry, 'an IP address or CIDR');
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      blocks.addAddress(address, type);
      continue;
    }
    const prefix = Number(entry.slice(slash + 1));
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw invalidOption(option, entry, 'a CIDR with a valid prefix length');
    }
    blocks.addSubnet(address, prefix, type);
  }
  return (address) => {
    const family = isIP(address);
    if (family === 4) return blocks.check(address, 'ipv4');
    if (family === 6) {
      if (address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4) {
        return blocks.check(address.slice(7), 'ipv4') || blocks.check(address, 'ipv6');
      }
      return blocks.check(address, 'ipv6');
    }
    return false;
  };
}
