import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

const BRACKETED = /^\[([^\]]+)\](?::\d+)?$/;
const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/;

/** An address as written in a socket or header (`::ffff:` mapped, bracketed, with a port), or null. */
function parseAddress(raw: string | undefined): Address | null {
  if (raw === undefined) return null;
  const text = raw.trim();
  const host = BRACKETED.exec(text)?.[1] ?? IPV4_WITH_PORT.exec(text)?.[1] ?? text;
  // Four-part decimal only: ipaddr also accepts legacy forms such as "10" or "0x7f.1", which no proxy writes.
  if (!ipaddr.IPv4.isValidFourPartDecimal(host) && !ipaddr.IPv6.isValid(host)) return null;
  // process() turns IPv4-mapped IPv6 (::ffff:10.0.0.1, how dual-stack sockets report IPv4 peers) into IPv4.
  return ipaddr.process(host);
}

function parseRange(entry: string): Range {
  try {
    if (entry.includes('/')) return ipaddr.parseCIDR(entry);
    const address = ipaddr.parse(entry);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new Error(`trustedProxies: "${entry}" is not an IP address or CIDR range`);
  }
}

/**
 * The client address of a request. X-Forwarded-For is read only when the direct peer is a trusted
 * proxy, and then from the right: each hop was appended by the proxy before it, so the right-most
 * address that is not a trusted proxy is the first one nobody could forge.
 */
export class ClientAddressMapper {
  private readonly trusted: Range[];

  constructor(trustedProxies: readonly string[] = []) {
    this.trusted = trustedProxies.map(parseRange);
  }

  clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined): string | null {
    const direct = parseAddress(peer);
    if (direct === null) return null;
    if (!this.isTrusted(direct)) return direct.toString();
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
    const hops = header
      .split(',')
      .map((hop) => hop.trim())
      .filter((hop) => hop !== '');
    let nearest = direct;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parseAddress(hops[i]);
      // A malformed hop: nothing to its left can be trusted either, so the last proxy we know is the answer.
      if (hop === null) return nearest.toString();
      if (!this.isTrusted(hop)) return hop.toString();
      nearest = hop;
    }
    return nearest.toString();
  }

  isTrusted(address: Address): boolean {
    return this.trusted.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
  }
}
