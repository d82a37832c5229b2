import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { checkAddress, type AddressPolicy, type AddressVerdict } from './address-policy.js';

/**
 * Raised at connect time when every address for a target is refused by the
 * policy. The message is recorded as the run's error after the kind
 * `refused`, so it does not repeat that word: it names the host (unless it is
 * an IP literal) and each refused address with the setting that unlocks it,
 * e.g. `example.com: link-local address 169.254.169.254 is not allowed (set
 * ALLOW_PRIVATE_NETWORKS)`.
 */
export class AddressRefusedError extends Error {
  readonly code = 'ERR_ORRERY_ADDRESS_REFUSED';
  constructor(
    readonly host: string,
    readonly verdicts: readonly AddressVerdict[],
  ) {
    const reasons = verdicts.flatMap((v) => (v.allowed ? [] : [v.reason]));
    const named = isIP(host.replace(/^\[(.*)\]$/, '$1')) === 0 ? `${host}: ` : '';
    super(`${named}${reasons.join('; ') || 'no addresses'}`);
    this.name = 'AddressRefusedError';
  }
}

/** The shape of `node:dns` `lookup` used with `{ all: true }`. */
export type BaseLookup = (
  hostname: string,
  options: { all: true; family?: number; hints?: number },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const defaultLookup: BaseLookup = (hostname, options, callback) =>
  dnsLookup(hostname, options, callback);

/**
 * Wraps a DNS lookup so only addresses allowed by `policy` reach `net.connect`.
 * Refused addresses are dropped (the socket never sees them); when none remain
 * the lookup fails with {@link AddressRefusedError}. Handles both callback
 * shapes `net.connect` uses (`all: true` with autoSelectFamily, or one address).
 */
export function createGuardedLookup(
  policy: AddressPolicy,
  base: BaseLookup = defaultLookup,
): LookupFunction {
  return (hostname, options, callback) => {
    const { family, hints } = options;
    const query = { all: true as const, hints, family: typeof family === 'number' ? family : 0 };
    base(hostname, query, (err, addresses) => {
      if (err) return callback(err, '');
      const verdicts = addresses.map((a) => checkAddress(a.address, policy));
      const allowed = addresses.filter((_, i) => verdicts[i]?.allowed === true);
      const first = allowed[0];
      if (first === undefined) return callback(new AddressRefusedError(hostname, verdicts), '');
      if (options.all === true) return callback(null, allowed);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * An undici connector that enforces `policy` on the resolved address at connect
 * time: hostnames go through {@link createGuardedLookup}; IP literals (for which
 * `net.connect` skips the lookup) are checked before the socket is opened.
 */
export function createGuardedConnector(
  policy: AddressPolicy,
  base?: BaseLookup,
): buildConnector.connector {
  const connect = buildConnector({ lookup: createGuardedLookup(policy, base) });
  return (options, callback) => {
    if (isIP(options.hostname) !== 0) {
      const verdict = checkAddress(options.hostname, policy);
      if (!verdict.allowed) {
        callback(new AddressRefusedError(options.hostname, [verdict]), null);
        return;
      }
    }
    connect(options, callback);
  };
}
