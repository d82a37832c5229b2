import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { describe, it, expect } from 'vitest';
import {
  AddressRefusedError,
  createGuardedConnector,
  createGuardedLookup,
  type BaseLookup,
} from './guarded-connect.js';

/** A DNS stand-in: every name resolves to `records`. */
const resolvingTo =
  (...records: LookupAddress[]): BaseLookup =>
  (_hostname, _options, callback) =>
    callback(null, records);

type Answer = { err: NodeJS.ErrnoException | null; address: unknown; family?: number };

function resolve(lookup: LookupFunction, all: boolean): Promise<Answer> {
  return new Promise((done) =>
    lookup('target.example', { all }, (err, address, family) => done({ err, address, family })),
  );
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

describe('guarded lookup', () => {
  it('passes public addresses through in both callback shapes', async () => {
    const lookup = createGuardedLookup({}, resolvingTo(v4('93.184.216.34'), v6('2606:2800::1')));
    expect(await resolve(lookup, false)).toEqual({
      err: null,
      address: '93.184.216.34',
      family: 4,
    });
    const all = await resolve(lookup, true);
    expect(all.address).toEqual([v4('93.184.216.34'), v6('2606:2800::1')]);
  });

  it('drops refused records so a mixed answer only connects to public ones', async () => {
    const lookup = createGuardedLookup({}, resolvingTo(v4('127.0.0.1'), v4('93.184.216.34')));
    expect((await resolve(lookup, true)).address).toEqual([v4('93.184.216.34')]);
    expect((await resolve(lookup, false)).address).toBe('93.184.216.34');
  });

  it.each([
    ['6to4 wrapping link-local', '2002:a9fe:a9fe::'],
    ['NAT64 wrapping private', '64:ff9b::10.0.0.1'],
    ['IPv4-translated loopback', '::ffff:0:7f00:1'],
    ['benchmarking', '198.18.0.1'],
    ['multicast', 'ff02::1'],
    ['Teredo', '2001::1'],
  ])('keeps only the public record when the other is %s', async (_what, refused) => {
    const family = refused.includes(':') ? 6 : 4;
    const lookup = createGuardedLookup(
      {},
      resolvingTo({ address: refused, family }, v4('93.184.216.34')),
    );
    expect((await resolve(lookup, true)).address).toEqual([v4('93.184.216.34')]);
    expect((await resolve(lookup, false)).address).toBe('93.184.216.34');
  });

  it('fails with a refusal naming the host and each address when none is allowed', async () => {
    const lookup = createGuardedLookup(
      {},
      resolvingTo(v4('10.0.0.7'), v6('::ffff:169.254.169.254')),
    );
    const { err } = await resolve(lookup, true);
    expect(err).toBeInstanceOf(AddressRefusedError);
    expect(err?.message).toBe(
      'target.example: private address 10.0.0.7 is not allowed (set ALLOW_PRIVATE_NETWORKS); ' +
        'link-local address ::ffff:169.254.169.254 is not allowed (set ALLOW_PRIVATE_NETWORKS)',
    );
  });

  it('refuses never-allowed addresses even with private networks allowed', async () => {
    const open = { allowLoopback: true, allowPrivateNetworks: true };
    const lookup = createGuardedLookup(open, resolvingTo(v4('224.0.0.251'), v6('2002:808:808::')));
    const { err } = await resolve(lookup, false);
    expect(err?.message).toBe(
      'target.example: multicast address 224.0.0.251 is never allowed; ' +
        'tunnel address 2002:808:808:: (embeds 8.8.8.8) is never allowed',
    );
  });

  it('honours the options: loopback unlocked, private still refused', async () => {
    const loopback = createGuardedLookup({ allowLoopback: true }, resolvingTo(v6('::1')));
    expect((await resolve(loopback, false)).address).toBe('::1');
    const internal = createGuardedLookup({ allowLoopback: true }, resolvingTo(v4('192.168.0.2')));
    expect((await resolve(internal, false)).err).toBeInstanceOf(AddressRefusedError);
  });

  it('passes DNS errors through unchanged', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    const lookup = createGuardedLookup({}, (_h, _o, callback) => callback(notFound, []));
    expect((await resolve(lookup, true)).err).toBe(notFound);
  });
});

describe('guarded connector', () => {
  const connect = (hostname: string) =>
    new Promise<Error | null>((done) =>
      createGuardedConnector({})({ hostname, protocol: 'http:', port: '80' }, (...[err]) =>
        done(err),
      ),
    );

  it('refuses an IP literal before opening a socket, without naming a host', async () => {
    const err = await connect('169.254.169.254');
    expect(err).toBeInstanceOf(AddressRefusedError);
    expect(err?.message).toBe(
      'link-local address 169.254.169.254 is not allowed (set ALLOW_PRIVATE_NETWORKS)',
    );
  });
});
