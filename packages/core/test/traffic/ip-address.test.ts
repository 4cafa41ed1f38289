/**
 * Client addresses and CIDR lists (traffic/ip-address.ts): strict forms only, IPv4-mapped IPv6
 * normalised, zone ids and legacy IPv4 notations refused, lists refused at configuration, and a
 * request address parsed once (a bounded memo) however many stages read it.
 */
import * as ipaddr from 'ipaddr.js';
import { ipInNetworks, parseIp, parseNetworks } from '@tokenward/core';
import { addressKey } from '../../src/traffic/ip-address';

describe('parseIp', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::1', '::1'],
    ['::', '::'],
  ])('parses %s', (input, canonical) => {
    expect(parseIp(input)?.toString()).toBe(canonical);
  });

  it.each(['::ffff:10.1.2.3', '::FFFF:10.1.2.3', '::ffff:a01:203'])(
    'normalises the IPv4-mapped %s to IPv4',
    (input) => {
      const address = parseIp(input);
      expect(address?.kind()).toBe('ipv4');
      expect(address?.toString()).toBe('10.1.2.3');
    },
  );

  it.each(['fe80::1%eth0', 'fe80::1%1', '::ffff:10.1.2.3%0'])(
    'refuses the zone id in %s',
    (input) => {
      expect(parseIp(input)).toBeUndefined();
    },
  );

  it.each([
    '',
    ' 10.0.0.1',
    '10.0.0.1 ',
    '10.0.0',
    '10.0.0.256',
    '10.0.0.1.1',
    '127.1',
    '0x7f.0.0.1',
    '010.0.0.1',
    '2130706433',
    '1::2::3',
    '2001:db8::g',
    '12345::',
    'localhost',
    '10.0.0.1/32',
    'x'.repeat(100),
  ])('refuses %j', (input) => {
    expect(parseIp(input)).toBeUndefined();
  });

  it.each([undefined, null, 167772161, {}, ['10.0.0.1']])('refuses the non-string %p', (input) => {
    expect(parseIp(input)).toBeUndefined();
  });
});

describe('parseNetworks', () => {
  const contains = (entries: string[], ip: string) =>
    ipInNetworks(parseNetworks(entries, 'test'), ip);

  it('matches inside a block and not just outside it', () => {
    expect(contains(['10.0.0.0/8'], '10.255.255.255')).toBe(true);
    expect(contains(['10.0.0.0/8'], '11.0.0.0')).toBe(false);
    expect(contains(['10.0.0.0/8'], '9.255.255.255')).toBe(false);
    expect(contains(['2001:db8::/32'], '2001:db8:ffff::1')).toBe(true);
    expect(contains(['2001:db8::/32'], '2001:db9::1')).toBe(false);
  });

  it('treats a bare address as a single host, /0 as the whole family', () => {
    expect(contains(['192.0.2.1'], '192.0.2.1')).toBe(true);
    expect(contains(['192.0.2.1'], '192.0.2.2')).toBe(false);
    expect(contains(['0.0.0.0/0'], '198.51.100.1')).toBe(true);
    expect(contains(['0.0.0.0/0'], '2001:db8::1')).toBe(false);
    expect(contains(['::/0'], '2001:db8::1')).toBe(true);
    expect(contains(['192.0.2.0/32'], '192.0.2.0')).toBe(true);
  });

  it('matches an IPv4-mapped request address against IPv4 blocks', () => {
    expect(contains(['127.0.0.0/8'], '::ffff:127.0.0.1')).toBe(true);
    // ::/0 is IPv6 only: the mapped address was normalised to IPv4 first.
    expect(contains(['::/0'], '::ffff:127.0.0.1')).toBe(false);
  });

  it('converts an IPv4-mapped block to the IPv4 block it covers', () => {
    const list = parseNetworks(['::ffff:10.0.0.0/104'], 'test');
    expect(list.networks).toEqual(['10.0.0.0/8']);
    expect(ipInNetworks(list, '10.9.9.9')).toBe(true);
    expect(() => parseNetworks(['::ffff:10.0.0.0/95'], 'test')).toThrow(/96 to 128/);
  });

  it('refuses no address, a zone id and garbage where a list applies', () => {
    const list = parseNetworks(['0.0.0.0/0', '::/0'], 'test');
    expect(ipInNetworks(list, undefined)).toBe(false);
    expect(ipInNetworks(list, 'fe80::1%eth0')).toBe(false);
    expect(ipInNetworks(list, 'unknown')).toBe(false);
  });

  it.each([
    ['10.0.0.1/8', /host bits are set: did you mean 10\.0\.0\.0\/8/],
    ['2001:db8::1/32', /host bits are set/],
    ['10.0.0.0/33', /0 to 32/],
    ['2001:db8::/129', /0 to 128/],
    ['10.0.0.0/08', /prefix length/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/-1', /prefix length/],
    ['10/8', /not an IPv4 or IPv6 address/],
    ['fe80::%eth0/64', /not an IPv4 or IPv6 address/],
    ['', /not an IPv4 or IPv6 address/],
  ])('refuses %j with a TypeError naming the option', (entry, message) => {
    expect(() => parseNetworks([entry], 'allowFrom')).toThrow(TypeError);
    expect(() => parseNetworks([entry], 'allowFrom')).toThrow(/^allowFrom: /);
    expect(() => parseNetworks([entry], 'allowFrom')).toThrow(message);
  });

  it('refuses a non-array, an empty list unless allowed, and a non-string entry', () => {
    expect(() => parseNetworks('10.0.0.0/8', 'opt')).toThrow(/^opt: expected a non-empty array/);
    expect(() => parseNetworks([], 'opt')).toThrow(TypeError);
    expect(parseNetworks([], 'opt', true).networks).toEqual([]);
    expect(() => parseNetworks([10], 'opt')).toThrow(/^opt: 10 is not a CIDR block/);
  });
});

describe('addressKey', () => {
  it('is the IPv4 address, the IPv6 /64, or undefined', () => {
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::9')).toBe('2001:db8:1:3::/64');
    expect(addressKey(undefined)).toBeUndefined();
    expect(addressKey('garbage')).toBeUndefined();
  });
});

describe('the parse of request addresses', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is made once per address, for every stage that asks, the malformed ones included', () => {
    const parse = jest.spyOn(ipaddr.IPv4, 'parse');
    const valid = jest.spyOn(ipaddr.IPv4, 'isValidFourPartDecimal');
    const list = parseNetworks(['198.51.100.0/24'], 'allowFrom');
    parse.mockClear();
    valid.mockClear();
    for (let i = 0; i < 3; i++) {
      expect(ipInNetworks(list, '198.51.100.77')).toBe(true);
      expect(addressKey('198.51.100.77')).toBe('198.51.100.77');
      expect(parseIp('198.51.100.77')?.toString()).toBe('198.51.100.77');
      expect(ipInNetworks(list, '198.51.100.0.1')).toBe(false);
      expect(addressKey('198.51.100.0.1')).toBeUndefined();
    }
    expect(parse).toHaveBeenCalledTimes(1);
    expect(valid).toHaveBeenCalledTimes(2);
  });

  it('is kept for a bounded number of addresses: the least recent one is parsed again', () => {
    const parse = jest.spyOn(ipaddr.IPv4, 'parse');
    expect(addressKey('192.0.2.200')).toBe('192.0.2.200');
    // 10,000 other addresses, the memo's bound, push the first one out.
    for (let i = 0; i < 10_000; i++)
      addressKey(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    parse.mockClear();
    expect(addressKey('192.0.2.200')).toBe('192.0.2.200');
    expect(parse).toHaveBeenCalledTimes(1);
  });
});
