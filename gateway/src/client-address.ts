import { CLIENT_HEADER } from '@hc/graphql/shell';
import { BlockList, isIP } from 'node:net';

/** An address as Node reports it, normalised: "::ffff:10.0.0.1" is the IPv4 10.0.0.1. */
function parseAddress(text: string | undefined): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  let address = text?.trim().replace(/^\[(.*)\]$/, '$1');
  if (!address) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1];
  const version = isIP(address);
  if (version === 0) return undefined;
  return { address: address.toLowerCase(), family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Parses TRUSTED_PROXIES (comma-separated CIDRs or single addresses). Throws, naming the entry,
 * on anything else: a typo must stop start-up rather than silently trust nobody.
 */
export function parseTrustedProxies(list: string): BlockList {
  const trusted = new BlockList();
  for (const entry of list
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [addr, bits, extra] = entry.split('/');
    const parsed = parseAddress(addr);
    const max = parsed?.family === 'ipv4' ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (!parsed || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max)
      throw new Error(`TRUSTED_PROXIES: "${entry}" is not an address or CIDR`);
    trusted.addSubnet(parsed.address, prefix, parsed.family);
  }
  return trusted;
}

/**
 * The client's address for one request. With no trusted proxies it is the socket peer, whatever
 * X-Forwarded-For says (a client can write anything there). Behind trusted proxies it is the
 * right-most X-Forwarded-For hop that is not itself a trusted proxy: each proxy appends the
 * address it saw, so hops to the left of the first untrusted one were written by the client.
 */
export function createClientAddress(trustedProxies: string) {
  const trusted = parseTrustedProxies(trustedProxies);
  const anyTrusted = trustedProxies.trim() !== '';
  const isTrusted = (a: { address: string; family: 'ipv4' | 'ipv6' }) => trusted.check(a.address, a.family);

  return (peer: string | undefined, forwardedFor: string | string[] | undefined): string | undefined => {
    const socket = parseAddress(peer);
    if (!socket) return peer;
    if (!anyTrusted || !isTrusted(socket)) return socket.address;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '')).split(',').reverse();
    let client = socket;
    for (const hop of hops) {
      const addr = parseAddress(hop);
      // Not an address: the chain is broken here, and the last hop we could read stands.
      if (!addr) break;
      client = addr;
      if (!isTrusted(addr)) break;
    }
    return client.address;
  };
}

/** The eight 16-bit groups of an IPv6 address (with "::" and a dotted IPv4 tail expanded). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = part(head);
  const right = part(tail);
  return tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The key a client address is counted under: IPv4 as is, IPv6 by its /64 (one subscriber line
 * gets a whole /64, so per-address keys would give one client 2^64 buckets).
 */
export function addressBucket(address: string | undefined): string {
  const parsed = parseAddress(address);
  if (!parsed) return address ?? 'unknown';
  if (parsed.family === 'ipv4') return parsed.address;
  return `${ipv6Groups(parsed.address)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/**
 * The one place the client address goes to subgraphs: the gateway's own header, inside the signed
 * material (subgraph-fetcher.ts signs it), so a subgraph believes it only from the gateway. Any
 * X-Forwarded-For is dropped: subgraphs never read it.
 */
export function forwardClientAddress(
  headers: { set(name: string, value: string): void; delete(name: string): void },
  address: string | undefined,
): void {
  headers.delete('x-forwarded-for');
  headers.delete(CLIENT_HEADER);
  if (address) headers.set(CLIENT_HEADER, address);
}
