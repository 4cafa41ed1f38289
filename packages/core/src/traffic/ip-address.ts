/**
 * Client addresses and network lists, parsed with ipaddr.js. A request's address is the one its
 * framework computed under its trust-proxy setting (`RequestLike.ip`); nothing here reads a
 * forwarded header. Network lists are parsed once, at configuration; a request's address is
 * parsed once per address (a bounded memo): every stage that reads it (the failure budget,
 * `clientNetworks`, `requireNetwork` and `allowFrom`, the rate limits' `ip` key, the anomaly
 * detectors) then costs a look-up and a few prefix comparisons.
 */
import * as ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';

/** A parsed client address: IPv4, or IPv6 that is not IPv4-mapped. */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * A list of networks (CIDR blocks) parsed by {@link parseNetworks}: immutable, checked against
 * an address with {@link NetworkList.contains}.
 */
export interface NetworkList {
  /** The networks in canonical CIDR form (`10.0.0.0/8`, `2001:db8::/32`), in configuration order. */
  readonly networks: readonly string[];
  /**
   * Whether `address` lies in one of the networks. An IPv4 address is compared with the IPv4
   * networks only (IPv4-mapped IPv6 networks were converted to IPv4 when parsed), an IPv6 address
   * with the IPv6 ones.
   */
  contains(address: IpAddress): boolean;
}

// Longer than any textual address (45 characters for the longest IPv6 form with embedded
// IPv4): a longer value is refused before a regular expression scans it.
const MAX_ADDRESS_LENGTH = 64;

/**
 * Parses one client address: four-part decimal IPv4 (`203.0.113.7`), or IPv6 in any RFC 4291
 * §2.2 form; an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, what a dual-stack socket
 * reports for an IPv4 peer) becomes the IPv4 address. Refused (`undefined`): a zone id
 * (`fe80::1%eth0`, meaningful only on one host), the legacy IPv4 forms `inet_aton` accepts
 * (`127.1`, `0x7f.0.0.1`, octal `010.0.0.1`: a list written in one notation must not be
 * bypassed by another), anything else malformed, and non-strings.
 *
 * @param value The address, as `RequestLike.ip` carries it.
 * @returns The address, or `undefined` when it is not one.
 * @example
 * ```ts
 * parseIp('::ffff:10.1.2.3')?.toString() // '10.1.2.3'
 * parseIp('fe80::1%eth0') // undefined
 * ```
 */
export function parseIp(value: unknown): IpAddress | undefined {
  return parsedAddress(value)?.address;
}

/** A client address parsed once: the address, and its counting key once asked for. */
interface ParsedAddress {
  readonly address: IpAddress;
  key?: string;
}

// Most distinct addresses whose parse is kept (about 200 bytes each: a key of at most
// MAX_ADDRESS_LENGTH characters and the parsed octets). Past them the least recently seen is
// parsed again when it returns; an address that does not parse is kept too (as `false`), so a
// malformed one costs no more than a valid one.
const MAX_PARSED_ADDRESSES = 10_000;
const parsedAddresses = new LRUCache<string, ParsedAddress | false>({ max: MAX_PARSED_ADDRESSES });

function parsedAddress(value: unknown): ParsedAddress | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ADDRESS_LENGTH) {
    return undefined;
  }
  let parsed = parsedAddresses.get(value);
  if (parsed === undefined) {
    const address = parseAddress(value);
    parsed = address === undefined ? false : { address };
    parsedAddresses.set(value, parsed);
  }
  return parsed === false ? undefined : parsed;
}

/** {@link parseIp} without the memo, for a string of at most MAX_ADDRESS_LENGTH characters. */
function parseAddress(value: string): IpAddress | undefined {
  if (value.includes('%')) return undefined;
  if (value.includes(':')) {
    if (!ipaddr.IPv6.isValid(value)) return undefined;
    const address = ipaddr.IPv6.parse(value);
    return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
  }
  return ipaddr.IPv4.isValidFourPartDecimal(value) ? ipaddr.IPv4.parse(value) : undefined;
}

/** One parsed network: its address and prefix length. */
type Network = readonly [IpAddress, number];

/**
 * Parses a list of networks once, at configuration: each entry is a CIDR block (`10.0.0.0/8`,
 * `2001:db8::/32`) or a single address (`/32` or `/128`). An IPv4-mapped IPv6 block of prefix 96
 * or more (`::ffff:10.0.0.0/104`) becomes the IPv4 block it covers, so it matches the addresses
 * {@link parseIp} normalises. Refused with a `TypeError` naming `option`: a non-string, an
 * address {@link parseIp} refuses, a prefix out of range or written with leading zeros, and a
 * block with host bits set (`10.0.0.1/8`: a typo that would silently allow a whole /8).
 *
 * @param entries The networks, as the application wrote them.
 * @param option The option name the error message starts with.
 * @param allowEmpty Whether an empty list is accepted (a list that matches nothing).
 * @throws TypeError naming `option` and the bad entry.
 * @example
 * ```ts
 * const internal = parseNetworks(['10.0.0.0/8', 'fd00::/8'], 'allowFrom')
 * internal.contains(parseIp('10.2.3.4')!) // true
 * ```
 */
export function parseNetworks(entries: unknown, option: string, allowEmpty = false): NetworkList {
  if (!Array.isArray(entries) || (!allowEmpty && entries.length === 0)) {
    throw new TypeError(`${option}: expected a non-empty array of CIDR blocks ('10.0.0.0/8')`);
  }
  const v4: Network[] = [];
  const v6: Network[] = [];
  for (const entry of entries as unknown[]) {
    const network = parseNetwork(entry, option);
    (network[0].kind() === 'ipv4' ? v4 : v6).push(network);
  }
  const networks = Object.freeze(
    [...v4, ...v6].map(([address, bits]) => `${address.toString()}/${bits}`),
  );
  return Object.freeze({
    networks,
    contains(address: IpAddress): boolean {
      // ipaddr's match compares the first `bits` bits; it throws across families, which the
      // split by family rules out.
      const list = address.kind() === 'ipv4' ? v4 : v6;
      for (const [network, bits] of list) {
        if ((address as ipaddr.IPv4).match(network as ipaddr.IPv4, bits)) return true;
      }
      return false;
    },
  });
}

/** Whether `address` is in `networks`; an address that does not parse is in none (fail closed). */
export function ipInNetworks(networks: NetworkList, address: unknown): boolean {
  const parsed = parseIp(address);
  return parsed !== undefined && networks.contains(parsed);
}

function parseNetwork(entry: unknown, option: string): Network {
  const bad = (why: string): TypeError =>
    new TypeError(`${option}: ${JSON.stringify(entry)} is not a CIDR block (${why})`);
  if (typeof entry !== 'string') throw bad('expected a string');
  const slash = entry.lastIndexOf('/');
  const text = slash === -1 ? entry : entry.slice(0, slash);
  // Parsed apart from the request addresses' memo: a list holds addresses of its own.
  const address = text.length <= MAX_ADDRESS_LENGTH ? parseAddress(text) : undefined;
  if (address === undefined) throw bad('not an IPv4 or IPv6 address');
  // A mapped block was converted by parseAddress: its prefix is counted from bit 96.
  const mapped = address.kind() === 'ipv4' && text.includes(':');
  const width = address.kind() === 'ipv4' ? 32 : 128;
  let bits = width;
  if (slash !== -1) {
    const prefix = entry.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(prefix)) throw bad('the prefix length must be a number');
    bits = Number(prefix) - (mapped ? 96 : 0);
    if (bits < 0 || bits > width) {
      throw bad(
        mapped
          ? 'an IPv4-mapped block needs a prefix of 96 to 128'
          : `the prefix length must be 0 to ${width}`,
      );
    }
  }
  const network = networkAddress(address, bits);
  if (network.toString() !== address.toString()) {
    throw bad(`host bits are set: did you mean ${network.toString()}/${bits}?`);
  }
  return [address, bits];
}

/** The first address of the block `address/bits`. */
function networkAddress(address: IpAddress, bits: number): IpAddress {
  const bytes = address.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes);
}

/**
 * The counting key of a client address (failure budget, `'ip'` rate limits): an IPv4 address itself, an IPv6 address's /64 network
 * (one subscriber usually holds a whole /64, so counting single IPv6 addresses would give an
 * attacker 2^64 budgets). `undefined` for no address or one that does not parse: not counted.
 *
 * @example `addressKey('2001:db8:1:2::9') // '2001:db8:1:2::/64'`
 */
export function addressKey(ip: unknown): string | undefined {
  const parsed = parsedAddress(ip);
  if (parsed === undefined) return undefined;
  parsed.key ??= counterKey(parsed.address);
  return parsed.key;
}

function counterKey(address: IpAddress): string {
  if (address.kind() === 'ipv4') return address.toString();
  const parts = address.toByteArray().slice(0, 8);
  const words: string[] = [];
  for (let i = 0; i < 8; i += 2) {
    words.push((((parts[i] as number) << 8) | (parts[i + 1] as number)).toString(16));
  }
  return `${words.join(':')}::/64`;
}
