import { describe, expect, it } from '@jest/globals';
import { addressBucket, createClientAddress, parseTrustedProxies } from './client-address.js';

describe('client address', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For claims', () => {
    const resolve = createClientAddress('');
    expect(resolve('::ffff:192.0.2.10', '203.0.113.1')).toBe('192.0.2.10');
    expect(resolve('2001:db8::5', '203.0.113.1')).toBe('2001:db8::5');
  });

  it('takes the right-most hop that is not a trusted proxy', () => {
    const resolve = createClientAddress('10.0.0.0/8, 2001:db8:ffff::/48, ::ffff:172.16.0.1');
    // The client wrote 6.6.6.6 itself; 198.51.100.20 is what our first proxy saw.
    expect(resolve('10.0.0.2', '6.6.6.6, 198.51.100.20, 10.1.1.1')).toBe('198.51.100.20');
    expect(resolve('2001:db8:ffff::1', ['2001:db8:1::9', '10.3.3.3'])).toBe('2001:db8:1::9');
    expect(resolve('::ffff:172.16.0.1', '192.0.2.7')).toBe('192.0.2.7');
    // A peer outside the trusted ranges is the client even if it sends the header.
    expect(resolve('192.0.2.99', '198.51.100.20')).toBe('192.0.2.99');
    // Only proxies in the chain, or an unreadable hop: the last address that could be read.
    expect(resolve('10.0.0.2', '10.9.9.9')).toBe('10.9.9.9');
    expect(resolve('10.0.0.2', 'unknown, 10.9.9.9')).toBe('10.9.9.9');
    expect(resolve('10.0.0.2', undefined)).toBe('10.0.0.2');
  });

  it('refuses a TRUSTED_PROXIES entry that is not an address or CIDR', () => {
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow(/10\.0\.0\.0\/33/);
    expect(() => parseTrustedProxies('proxy.internal')).toThrow(/proxy\.internal/);
    expect(() => parseTrustedProxies(' 10.0.0.0/8 , fd00::/8 ')).not.toThrow();
  });

  it('buckets IPv4 by address and IPv6 by /64, however the address is written', () => {
    expect(addressBucket('192.0.2.1')).toBe('192.0.2.1');
    expect(addressBucket('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressBucket('2001:db8:0:7::1')).toBe(addressBucket('2001:0db8:0000:0007:ffff:ffff:ffff:ffff'));
    expect(addressBucket('2001:db8:0:7::1')).not.toBe(addressBucket('2001:db8:0:8::1'));
    expect(addressBucket('2001:db8:0:7::1')).toBe('2001:db8:0:7::/64');
  });
});
