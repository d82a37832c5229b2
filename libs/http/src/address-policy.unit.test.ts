import { describe, it, expect } from 'vitest';
import { checkAddress, type AddressPolicy } from './address-policy.js';

const strict: AddressPolicy = {};
const loopbackOnly: AddressPolicy = { allowLoopback: true };
const privateOk: AddressPolicy = { allowPrivateNetworks: true };
const both: AddressPolicy = { allowLoopback: true, allowPrivateNetworks: true };

// address (one per class, plain and embedded) → allowed under: default, allowLoopback, allowPrivateNetworks, both
const table: ReadonlyArray<readonly [string, boolean, boolean, boolean, boolean]> = [
  ['93.184.216.34', true, true, true, true],
  ['2606:4700::1111', true, true, true, true],
  ['64:ff9b::8.8.8.8', true, true, true, true],
  ['127.0.0.1', false, true, true, true],
  ['::1', false, true, true, true],
  ['2002:7f00:1::', false, true, true, true],
  ['0.0.0.0', false, false, true, true],
  ['::', false, false, true, true],
  ['10.0.0.1', false, false, true, true],
  ['fd00::1', false, false, true, true],
  ['fec0::1', false, false, true, true],
  ['169.254.169.254', false, false, true, true],
  ['2002:a9fe:a9fe::', false, false, true, true],
  ['::ffff:0:a9fe:a9fe', false, false, true, true],
  ['fe80::1%eth0', false, false, true, true],
  ['100.64.0.1', false, false, true, true],
  ['64:ff9b:1::8.8.8.8', false, false, true, true],
  // never a target, whatever is set
  ['224.0.0.1', false, false, false, false],
  ['ff02::1', false, false, false, false],
  ['2002:e000:1::', false, false, false, false],
  ['255.255.255.255', false, false, false, false],
  ['2001::1', false, false, false, false],
  ['2002:808:808::', false, false, false, false],
  ['198.18.0.1', false, false, false, false],
  ['192.0.0.8', false, false, false, false],
  ['240.0.0.1', false, false, false, false],
  ['2001:db8::1', false, false, false, false],
  ['4000::1', false, false, false, false],
  ['localhost', false, false, false, false],
  ['127.1', false, false, false, false],
];

const allowed = (address: string, policy: AddressPolicy) => checkAddress(address, policy).allowed;

const reasonFor = (address: string, policy: AddressPolicy = strict) => {
  const verdict = checkAddress(address, policy);
  return verdict.allowed ? 'allowed' : verdict.reason;
};

describe('address policy', () => {
  it.each(table)('%s: default %s, loopback %s, private %s, both %s', (address, ...expected) => {
    const verdicts = [strict, loopbackOnly, privateOk, both].map((p) => allowed(address, p));
    expect(verdicts).toEqual(expected);
  });

  it('reports the class of the address in the verdict', () => {
    expect(checkAddress('::ffff:10.0.0.1', strict)).toMatchObject({
      allowed: false,
      address: '::ffff:10.0.0.1',
      class: 'private',
    });
    expect(checkAddress('8.8.8.8', strict)).toEqual({
      allowed: true,
      address: '8.8.8.8',
      class: 'public',
    });
  });

  it.each([
    ['127.0.0.1', 'loopback address 127.0.0.1 is not allowed (set ALLOW_LOOPBACK)'],
    [
      '169.254.169.254',
      'link-local address 169.254.169.254 is not allowed (set ALLOW_PRIVATE_NETWORKS)',
    ],
    [
      '2002:a9fe:a9fe::',
      'link-local address 2002:a9fe:a9fe:: (embeds 169.254.169.254) is not allowed (set ALLOW_PRIVATE_NETWORKS)',
    ],
    [
      '::ffff:10.0.0.1',
      'private address ::ffff:10.0.0.1 is not allowed (set ALLOW_PRIVATE_NETWORKS)',
    ],
    ['100.64.0.1', 'cgnat address 100.64.0.1 is not allowed (set ALLOW_PRIVATE_NETWORKS)'],
    ['ff02::1', 'multicast address ff02::1 is never allowed'],
    ['2002:808:808::', 'tunnel address 2002:808:808:: (embeds 8.8.8.8) is never allowed'],
    ['203.0.113.9', 'reserved address 203.0.113.9 is never allowed'],
    ['127.1', '127.1 is not an IP address'],
  ])('explains why %s is refused', (address, reason) => {
    expect(reasonFor(address)).toBe(reason);
  });

  it('names the setting still missing when only loopback is unlocked', () => {
    expect(reasonFor('10.0.0.1', loopbackOnly)).toBe(
      'private address 10.0.0.1 is not allowed (set ALLOW_PRIVATE_NETWORKS)',
    );
  });
});
