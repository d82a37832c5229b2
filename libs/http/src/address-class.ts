import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * What kind of network an IP address belongs to, as far as the SSRF guard is
 * concerned, after the IANA special-purpose address registries (IPv4 and IPv6).
 *
 * - `public`: globally reachable unicast.
 * - `loopback`, `unspecified`, `private` (RFC 1918, unique local fc00::/7,
 *   deprecated site-local fec0::/10), `link-local`, `cgnat` (100.64.0.0/10):
 *   addresses that reach the caller's own host or networks.
 * - `multicast`, `broadcast` (255.255.255.255): not one host.
 * - `tunnel`: Teredo (2001::/32) and 6to4 (2002::/16) addresses embedding a
 *   public IPv4 address. Both mechanisms are deprecated, and where they lead
 *   depends on relays outside anyone's control.
 * - `reserved`: everything else that is not globally reachable unicast:
 *   documentation, benchmarking, future use (240.0.0.0/4), IETF protocol
 *   assignments (192.0.0.0/24, 2001::/23), discard-only, identifiers that are
 *   not locators (ORCHID, DRIP), segment-routing SIDs, IPv6 outside 2000::/3.
 * - `invalid`: not an IPv4 or IPv6 literal as `net.connect` reads them.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'unspecified'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'broadcast'
  | 'tunnel'
  | 'reserved'
  | 'invalid';

/** A class, and the IPv4 address an IPv6 form embeds when that address decided it. */
export interface Classification {
  readonly class: AddressClass;
  readonly embedded?: string;
}

/**
 * ipaddr.js range names (checked against its 2.5.0 source, whose type
 * declarations list fewer) to classes. A name missing here classifies as
 * `reserved`: for IPv6 that covers benchmarking, discard, deprecatedOrchid,
 * orchid2, droneRemoteIdProtocolEntityTags, segmentRouting and reserved, and
 * any name a later version adds, so the guard fails closed.
 */
const IPV4_RANGES = new Map<string, AddressClass>([
  ['unicast', 'public'],
  ['as112', 'public'], // anycast DNS sinks, globally reachable (RFC 7534, 7535)
  ['amt', 'public'], // multicast tunnelling relays, globally reachable (RFC 7450)
  ['unspecified', 'unspecified'], // 0.0.0.0/8; 0.0.0.0 reaches the local host on Linux
  ['loopback', 'loopback'],
  ['private', 'private'],
  ['linkLocal', 'link-local'],
  ['carrierGradeNat', 'cgnat'],
  ['multicast', 'multicast'],
  ['broadcast', 'broadcast'],
  ['reserved', 'reserved'],
]);

const IPV6_RANGES = new Map<string, AddressClass>([
  ['unicast', 'public'], // narrowed to 2000::/3 below
  ['amt', 'public'],
  ['as112v6', 'public'],
  ['unspecified', 'unspecified'],
  ['loopback', 'loopback'],
  ['uniqueLocal', 'private'],
  ['deprecatedSiteLocal', 'private'],
  ['linkLocal', 'link-local'],
  ['multicast', 'multicast'],
  ['teredo', 'tunnel'],
]);

const LOCAL_USE_NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');

function classifyIPv4(ip: ipaddr.IPv4): AddressClass {
  return IPV4_RANGES.get(ip.range()) ?? 'reserved';
}

/** The IPv4 address held in hextets `at` and `at + 1`. */
function ipv4In(ip: ipaddr.IPv6, at: number): ipaddr.IPv4 {
  const hi = ip.parts[at] ?? 0;
  const lo = ip.parts[at + 1] ?? 0;
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

function byEmbedded(v4: ipaddr.IPv4, whenPublic?: AddressClass): Classification {
  const inner = classifyIPv4(v4);
  const cls = inner === 'public' && whenPublic !== undefined ? whenPublic : inner;
  return { class: cls, embedded: v4.toString() };
}

function classifyIPv6(ip: ipaddr.IPv6): Classification {
  const range: string = ip.range();
  // IPv4-mapped (::ffff:0:0/96) and IPv4-translated (::ffff:0:0:0/96) reach the IPv4 address itself.
  if (range === 'ipv4Mapped' || range === 'rfc6145') return byEmbedded(ipv4In(ip, 6));
  if (range === 'rfc6052') {
    // The well-known NAT64 prefix is how IPv6-only hosts reach public IPv4 sites; the
    // local-use one (RFC 8215) belongs to the operator's own translator, never public.
    const localUse = ip.match(LOCAL_USE_NAT64);
    return byEmbedded(ipv4In(ip, 6), localUse ? 'private' : undefined);
  }
  if (range === '6to4') return byEmbedded(ipv4In(ip, 1), 'tunnel');
  const cls = IPV6_RANGES.get(range) ?? 'reserved';
  if (cls !== 'public') return { class: cls };
  // IPv4-compatible (::/96, deprecated): `::` and `::1` matched their own ranges above.
  if (ip.parts.slice(0, 6).every((part) => part === 0)) return byEmbedded(ipv4In(ip, 6));
  // Only 2000::/3 is allocated as global unicast; the rest of the space is unassigned.
  const globalUnicast = ((ip.parts[0] ?? 0) & 0xe000) === 0x2000;
  return { class: globalUnicast ? cls : 'reserved' };
}

/**
 * Parses an address as `net.connect` would accept it: dotted-quad IPv4 or
 * IPv6, optionally with a zone id (`fe80::1%eth0`) or in URL brackets
 * (`[::1]`, IPv6 only). Shorthand forms such as `127.1` are not addresses.
 */
function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bracketed = /^\[(.*)\]$/.exec(address)?.[1];
  const text = bracketed ?? address;
  const family = isIP(text);
  if (family === 0 || (bracketed !== undefined && family !== 6)) return undefined;
  try {
    return family === 4 ? ipaddr.IPv4.parse(text) : ipaddr.IPv6.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Classifies an IP literal and says which embedded IPv4 address, if any,
 * decided the class (IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64 and
 * 6to4 forms take the class of the IPv4 address they carry).
 *
 * @example classifyAddressDetail('2002:7f00:1::') // { class: 'loopback', embedded: '127.0.0.1' }
 */
export function classifyAddressDetail(address: string): Classification {
  const ip = parse(address);
  if (ip === undefined) return { class: 'invalid' };
  return ip instanceof ipaddr.IPv4 ? { class: classifyIPv4(ip) } : classifyIPv6(ip);
}

/**
 * Classifies an IP literal; see {@link AddressClass} and {@link classifyAddressDetail}.
 *
 * @example classifyAddress('::ffff:10.0.0.1') // 'private'
 */
export function classifyAddress(address: string): AddressClass {
  return classifyAddressDetail(address).class;
}
