import { isIPv4, isIPv6 } from 'node:net';

/**
 * What kind of network an IP address belongs to, as far as the SSRF guard is
 * concerned. `invalid` is anything that is not an IPv4 or IPv6 literal.
 */
export type AddressClass =
  'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'cgnat' | 'invalid';

/** Which non-public targets the caller may reach. Both default to false. */
export interface AddressPolicy {
  /** Unlocks loopback only (127.0.0.0/8, ::1). Tests and dev set this. */
  readonly allowLoopback?: boolean;
  /** Unlocks every non-public class: loopback, private, link-local, unspecified, CGNAT. */
  readonly allowPrivateNetworks?: boolean;
}

/** The verdict for one address, with its class so the caller can explain a refusal. */
export type AddressVerdict =
  | { readonly allowed: true; readonly address: string; readonly class: AddressClass }
  | {
      readonly allowed: false;
      readonly address: string;
      readonly class: AddressClass;
      readonly reason: string;
    };

/** Parses a dotted IPv4 literal already validated by `isIPv4`. */
function ipv4Octets(ip: string): [number, number, number, number] {
  const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
  return [a, b, c, d];
}

function classifyIPv4(ip: string): AddressClass {
  const [a, b] = ipv4Octets(ip);
  if (a === 0) return 'unspecified'; // 0.0.0.0/8 "this network"; 0.0.0.0 reaches the local host on Linux
  if (a === 127) return 'loopback';
  if (a === 10) return 'private';
  if (a === 172 && b >= 16 && b <= 31) return 'private';
  if (a === 192 && b === 168) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
  return 'public';
}

/** Expands an IPv6 literal (already validated by `isIPv6`, zone removed) to 8 hextets. */
function ipv6Hextets(ip: string): number[] {
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // Dotted IPv4 tail (e.g. ::ffff:127.0.0.1): rewrite it as two hextets.
    const [a, b, c, d] = ipv4Octets(last);
    const hi = ((a << 8) | b).toString(16);
    const lo = ((c << 8) | d).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - headParts.length - tailParts.length).fill('0');
  return [...headParts, ...zeros, ...tailParts].map((h) => parseInt(h, 16));
}

function embeddedIPv4(h: number[]): string {
  const [, , , , , , hi = 0, lo = 0] = h;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

function classifyIPv6(ip: string): AddressClass {
  const h = ipv6Hextets(ip);
  const first = h[0] ?? 0;
  const upperZero = h.slice(0, 5).every((x) => x === 0);
  if (h.every((x) => x === 0)) return 'unspecified';
  if (upperZero && h[5] === 0 && h[6] === 0 && h[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96) and NAT64 (64:ff9b::/96)
  // forms reach the embedded IPv4 address, so they get its class.
  if (upperZero && (h[5] === 0xffff || h[5] === 0)) return classifyIPv4(embeddedIPv4(h));
  if (first === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) {
    return classifyIPv4(embeddedIPv4(h));
  }
  if ((first & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  return 'public';
}

/**
 * Classifies an IP literal. IPv6 zone ids (`fe80::1%eth0`) and URL brackets
 * (`[::1]`) are accepted.
 *
 * @example classifyAddress('::ffff:10.0.0.1') // 'private'
 */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIPv4(bare)) return classifyIPv4(bare);
  if (isIPv6(bare)) return classifyIPv6(bare.toLowerCase());
  return 'invalid';
}

/**
 * Decides whether the caller may connect to `address` under `policy`.
 * `allowLoopback` unlocks loopback only; `allowPrivateNetworks` unlocks every
 * non-public class. An invalid literal is always refused.
 */
export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  const cls = classifyAddress(address);
  const allowed =
    cls === 'public' ||
    (cls !== 'invalid' && policy.allowPrivateNetworks === true) ||
    (cls === 'loopback' && policy.allowLoopback === true);
  if (allowed) return { allowed, address, class: cls };
  const reason =
    cls === 'invalid'
      ? `${address} is not an IP address`
      : `${cls} address ${address} is not allowed` +
        (cls === 'loopback' ? ' (set allowLoopback)' : ' (set allowPrivateNetworks)');
  return { allowed, address, class: cls, reason };
}
