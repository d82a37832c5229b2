import ipaddr from 'ipaddr.js';
import { describe, it, expect } from 'vitest';
import { classifyAddress, classifyAddressDetail, type AddressClass } from './address-class.js';

type Row = readonly [address: string, cls: AddressClass];
type EmbeddedRow = readonly [address: string, cls: AddressClass, embedded: string];

const ipv4: readonly Row[] = [
  ['8.8.8.8', 'public'],
  ['93.184.216.34', 'public'],
  ['172.15.255.255', 'public'],
  ['172.32.0.1', 'public'],
  ['100.63.255.255', 'public'],
  ['100.128.0.1', 'public'],
  ['169.253.255.255', 'public'],
  ['192.0.1.0', 'public'],
  ['198.17.255.255', 'public'],
  ['198.20.0.1', 'public'],
  ['223.255.255.255', 'public'],
  ['192.175.48.1', 'public'], // AS112, globally reachable
  ['192.52.193.1', 'public'], // AMT, globally reachable
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['192.0.0.1', 'reserved'], // IETF protocol assignments
  ['192.0.0.170', 'reserved'],
  ['192.0.2.1', 'reserved'], // documentation
  ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['198.18.0.1', 'reserved'], // benchmarking
  ['198.19.255.255', 'reserved'],
  ['192.88.99.1', 'reserved'], // deprecated 6to4 relay anycast
  ['240.0.0.1', 'reserved'], // future use
  ['255.255.255.254', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
];

const ipv6: readonly Row[] = [
  ['2001:4860:4860::8888', 'public'],
  ['2606:4700::1111', 'public'],
  ['2620:4f:8000::1', 'public'], // AS112, globally reachable
  ['2001:3::1', 'public'], // AMT, globally reachable
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['[::1]', 'loopback'],
  ['::1%lo', 'loopback'],
  ['fc00::1', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['fec0::1', 'private'], // deprecated site-local
  ['feff::1', 'private'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['[fe80::1%eth0]', 'link-local'],
  ['FEBF::1', 'link-local'],
  ['ff02::1', 'multicast'],
  ['ff0e::1', 'multicast'],
  ['2001::1', 'tunnel'], // Teredo
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'tunnel'],
  ['2001:db8::1', 'reserved'], // documentation
  ['3fff::1', 'reserved'], // documentation (RFC 9637)
  ['2001:2::1', 'reserved'], // benchmarking
  ['100::1', 'reserved'], // discard-only
  ['2001:1::1', 'reserved'], // IETF protocol assignments
  ['2001:10::1', 'reserved'], // ORCHID
  ['2001:20::1', 'reserved'], // ORCHIDv2: an identifier, not a locator
  ['2001:30::1', 'reserved'], // DRIP entity tags
  ['5f00::1', 'reserved'], // segment-routing SIDs
  ['4000::1', 'reserved'], // outside 2000::/3, unassigned
  ['64:ff9b:0:0:1::1', 'reserved'], // beside the NAT64 prefixes
];

// address → class, and the embedded IPv4 address that decided it
const embedded: readonly EmbeddedRow[] = [
  // IPv4-mapped ::ffff:0:0/96
  ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
  ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
  ['::FFFF:10.1.2.3', 'private', '10.1.2.3'],
  ['::ffff:a9fe:a9fe', 'link-local', '169.254.169.254'],
  ['::ffff:0.0.0.0', 'unspecified', '0.0.0.0'],
  ['::ffff:100.64.0.1', 'cgnat', '100.64.0.1'],
  ['::ffff:224.0.0.1', 'multicast', '224.0.0.1'],
  ['::ffff:255.255.255.255', 'broadcast', '255.255.255.255'],
  ['::ffff:198.18.0.1', 'reserved', '198.18.0.1'],
  ['::ffff:8.8.8.8', 'public', '8.8.8.8'],
  ['[::ffff:127.0.0.1]', 'loopback', '127.0.0.1'],
  // IPv4-translated ::ffff:0:0:0/96
  ['::ffff:0:a9fe:a9fe', 'link-local', '169.254.169.254'],
  ['::ffff:0:127.0.0.1', 'loopback', '127.0.0.1'],
  ['::ffff:0:8.8.8.8', 'public', '8.8.8.8'],
  // IPv4-compatible ::/96 (deprecated)
  ['::127.0.0.1', 'loopback', '127.0.0.1'],
  ['::7f00:1', 'loopback', '127.0.0.1'],
  ['::a00:1', 'private', '10.0.0.1'],
  ['::0.0.0.2', 'unspecified', '0.0.0.2'],
  ['::8.8.8.8', 'public', '8.8.8.8'],
  // NAT64, well-known prefix 64:ff9b::/96
  ['64:ff9b::192.168.0.1', 'private', '192.168.0.1'],
  ['64:ff9b::a9fe:a9fe', 'link-local', '169.254.169.254'],
  ['64:ff9b::7f00:1', 'loopback', '127.0.0.1'],
  ['64:ff9b::8.8.8.8', 'public', '8.8.8.8'],
  // NAT64, local-use prefix 64:ff9b:1::/48: never public
  ['64:ff9b:1::a9fe:a9fe', 'link-local', '169.254.169.254'],
  ['64:ff9b:1::127.0.0.1', 'loopback', '127.0.0.1'],
  ['64:ff9b:1::8.8.8.8', 'private', '8.8.8.8'],
  // 6to4 2002::/16: a public IPv4 inside is still refused as a tunnel
  ['2002:a9fe:a9fe::', 'link-local', '169.254.169.254'],
  ['2002:7f00:1::', 'loopback', '127.0.0.1'],
  ['2002:a00:1::1', 'private', '10.0.0.1'],
  ['2002:c0a8:101::1', 'private', '192.168.1.1'],
  ['2002:e000:1::', 'multicast', '224.0.0.1'],
  ['2002:808:808::', 'tunnel', '8.8.8.8'],
];

const invalid: readonly string[] = [
  'localhost',
  '2130706433',
  '127.1',
  '0x7f.0.0.1',
  '0177.0.0.1',
  '1.2.3.256',
  ' 8.8.8.8',
  '',
  '1.2.3.4%eth0',
  '[127.0.0.1]',
  '[::1',
  'fe80::1%',
  '::ffff:1.2.3',
  ':::1',
  'gggg::1',
];

describe('address classes', () => {
  it.each([...ipv4, ...ipv6])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it.each(embedded)('%s is %s by its embedded %s', (address, cls, inner) => {
    expect(classifyAddressDetail(address)).toEqual({ class: cls, embedded: inner });
  });

  it.each(invalid)('%j is not an address', (address) => {
    expect(classifyAddress(address)).toBe('invalid');
  });

  it('classifies no special-purpose range of ipaddr.js as public but the anycast services', () => {
    type Ranges = Record<string, [ipaddr.IPv4 | ipaddr.IPv6, number] | [ipaddr.IPv4, number][]>;
    const tables = [ipaddr.IPv4.prototype, ipaddr.IPv6.prototype].map(
      (proto) => (proto as unknown as { SpecialRanges: Ranges }).SpecialRanges,
    );
    const publicRanges: string[] = [];
    for (const [name, subnets] of tables.flatMap((table) => Object.entries(table))) {
      const list = Array.isArray(subnets[0]) ? subnets : [subnets];
      for (const [network] of list as [ipaddr.IPv4 | ipaddr.IPv6, number][]) {
        if (classifyAddress(network.toString()) === 'public') publicRanges.push(name);
      }
    }
    expect(publicRanges.sort()).toEqual(['amt', 'amt', 'as112', 'as112', 'as112v6', 'as112v6']);
  });
});
