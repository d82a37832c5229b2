import { classifyAddressDetail, type AddressClass } from './address-class.js';

/**
 * Which non-public targets the caller may reach. Both default to false.
 *
 * Multicast, broadcast, tunnel, reserved and invalid addresses stay refused
 * whatever is set: none of them names one host that could answer an HTTP
 * request on the operator's networks, so no option unlocks them.
 */
export interface AddressPolicy {
  /** Unlocks loopback only (127.0.0.0/8, ::1, and forms embedding 127.0.0.0/8). Tests and dev set this. */
  readonly allowLoopback?: boolean;
  /**
   * Unlocks the classes that reach the operator's own host or networks:
   * loopback, unspecified, private (RFC 1918, unique local, site-local),
   * link-local and CGNAT, including IPv6 forms embedding such an IPv4 address.
   */
  readonly allowPrivateNetworks?: boolean;
}

/** The verdict for one address, with its class so the caller can explain a refusal. */
export type AddressVerdict =
  | { readonly allowed: true; readonly address: string; readonly class: AddressClass }
  | {
      readonly allowed: false;
      readonly address: string;
      readonly class: AddressClass;
      /** Human-readable, names the address and the setting that would unlock it, if any. */
      readonly reason: string;
    };

const PRIVATE_NETWORK_CLASSES: ReadonlySet<AddressClass> = new Set([
  'loopback',
  'unspecified',
  'private',
  'link-local',
  'cgnat',
]);

function isAllowed(cls: AddressClass, policy: AddressPolicy): boolean {
  if (cls === 'public') return true;
  if (cls === 'loopback' && policy.allowLoopback === true) return true;
  return PRIVATE_NETWORK_CLASSES.has(cls) && policy.allowPrivateNetworks === true;
}

/**
 * Why `address` is refused. The hint names the environment variables the
 * Orrery services read (`ALLOW_LOOPBACK`, `ALLOW_PRIVATE_NETWORKS`), since
 * operators read these messages in recorded runs.
 */
function refusalReason(address: string, cls: AddressClass, embedded?: string): string {
  if (cls === 'invalid') return `${address} is not an IP address`;
  const via = embedded !== undefined && !address.includes(embedded) ? ` (embeds ${embedded})` : '';
  const what = `${cls} address ${address}${via}`;
  if (cls === 'loopback') return `${what} is not allowed (set ALLOW_LOOPBACK)`;
  if (PRIVATE_NETWORK_CLASSES.has(cls))
    return `${what} is not allowed (set ALLOW_PRIVATE_NETWORKS)`;
  return `${what} is never allowed`;
}

/**
 * Decides whether the caller may connect to `address` under `policy`: public
 * addresses always, the others as {@link AddressPolicy} describes.
 *
 * @example
 * checkAddress('169.254.169.254', {})
 * // { allowed: false, class: 'link-local', reason: 'link-local address 169.254.169.254
 * //   is not allowed (set ALLOW_PRIVATE_NETWORKS)', … }
 */
export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  const { class: cls, embedded } = classifyAddressDetail(address);
  if (isAllowed(cls, policy)) return { allowed: true, address, class: cls };
  return { allowed: false, address, class: cls, reason: refusalReason(address, cls, embedded) };
}
