import { describe, it, expect } from 'vitest';
import { checkAddress, classifyAddress, type AddressClass } from './address-policy.js';

const strict = {};
const loopbackOnly = { allowLoopback: true };
const privateOk = { allowPrivateNetworks: true };

// address → class, then allowed under: default, allowLoopback, allowPrivateNetworks
const table: ReadonlyArray<readonly [string, AddressClass, boolean, boolean, boolean]> = [
  ['8.8.8.8', 'public', true, true, true],
  ['93.184.216.34', 'public', true, true, true],
  ['172.15.255.255', 'public', true, true, true],
  ['172.32.0.1', 'public', true, true, true],
  ['100.63.255.255', 'public', true, true, true],
  ['100.128.0.1', 'public', true, true, true],
  ['169.253.0.1', 'public', true, true, true],
  ['127.0.0.1', 'loopback', false, true, true],
  ['127.255.255.254', 'loopback', false, true, true],
  ['10.0.0.1', 'private', false, false, true],
  ['172.16.0.1', 'private', false, false, true],
  ['172.31.255.255', 'private', false, false, true],
  ['192.168.1.1', 'private', false, false, true],
  ['169.254.169.254', 'link-local', false, false, true],
  ['100.64.0.1', 'cgnat', false, false, true],
  ['100.127.255.255', 'cgnat', false, false, true],
  ['0.0.0.0', 'unspecified', false, false, true],
  ['0.1.2.3', 'unspecified', false, false, true],
  // IPv6
  ['2001:4860:4860::8888', 'public', true, true, true],
  ['::1', 'loopback', false, true, true],
  ['[::1]', 'loopback', false, true, true],
  ['0:0:0:0:0:0:0:1', 'loopback', false, true, true],
  ['::', 'unspecified', false, false, true],
  ['fc00::1', 'private', false, false, true],
  ['fd12:3456:789a::1', 'private', false, false, true],
  ['fe80::1', 'link-local', false, false, true],
  ['fe80::1%eth0', 'link-local', false, false, true],
  ['febf::1', 'link-local', false, false, true],
  // IPv4-mapped / embedded forms take the class of the IPv4 address
  ['::ffff:127.0.0.1', 'loopback', false, true, true],
  ['::ffff:7f00:1', 'loopback', false, true, true],
  ['::FFFF:10.1.2.3', 'private', false, false, true],
  ['::ffff:a9fe:a9fe', 'link-local', false, false, true],
  ['::ffff:0.0.0.0', 'unspecified', false, false, true],
  ['::ffff:100.64.0.1', 'cgnat', false, false, true],
  ['::ffff:8.8.8.8', 'public', true, true, true],
  ['::127.0.0.1', 'loopback', false, true, true],
  ['64:ff9b::192.168.0.1', 'private', false, false, true],
  ['64:ff9b::8.8.8.8', 'public', true, true, true],
  // not addresses: refused whatever the options
  ['localhost', 'invalid', false, false, false],
  ['2130706433', 'invalid', false, false, false],
  ['127.1', 'invalid', false, false, false],
  ['', 'invalid', false, false, false],
];

describe('address policy', () => {
  it.each(table)('%s is %s', (address, cls, byDefault, withLoopback, withPrivate) => {
    expect(classifyAddress(address)).toBe(cls);
    expect(checkAddress(address, strict).allowed).toBe(byDefault);
    expect(checkAddress(address, loopbackOnly).allowed).toBe(withLoopback);
    expect(checkAddress(address, privateOk).allowed).toBe(withPrivate);
  });

  it('names the address and the option that would unlock it in a refusal', () => {
    const loopback = checkAddress('127.0.0.1', strict);
    expect(loopback).toMatchObject({ allowed: false, class: 'loopback' });
    expect(loopback.allowed ? '' : loopback.reason).toMatch(/127\.0\.0\.1.*allowLoopback/);
    const internal = checkAddress('10.0.0.1', loopbackOnly);
    expect(internal.allowed ? '' : internal.reason).toMatch(/10\.0\.0\.1.*allowPrivateNetworks/);
  });
});
