import { describe, expect, it } from 'vitest';
import { foldWith } from '../decider.js';
import { makeEvent, type DomainEvent, type RecordedEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { tenantDecider, type TenantCommand } from './tenant.js';

const admin: EventMetadata = { tenantId: 'acme', actor: { kind: 'system', id: 'admin' } };
const T0 = Date.parse('2030-01-01T00:00:00Z');
const HASH = 'a'.repeat(64);

const created = makeEvent('TenantCreated', { tenantId: 'acme', name: 'Acme' }, admin);
const keyCreated = makeEvent('ApiKeyCreated', { keyId: 'k1', name: 'ci', secretHash: HASH }, admin);
const disabled = makeEvent('TenantDisabled', { reason: 'unpaid invoice' }, admin);
const enabled = makeEvent('TenantEnabled', { reason: 'paid' }, admin);

/** Given past events, when a command is decided, then exactly these events (type and data). */
const given = (history: readonly DomainEvent[]) => ({
  when: (command: TenantCommand) => {
    const result = tenantDecider.decide(command, foldWith(tenantDecider, history), {
      now: T0,
      metadata: admin,
    });
    return {
      then: (expected: { type: string; data: object }[]) => {
        if (!result.ok) throw new Error(`expected events, got ${result.error.message}`);
        expect(result.value.map(({ type, data }) => ({ type, data }))).toEqual(expected);
      },
      thenFails: (code: string) => {
        expect(result.ok ? 'ok' : result.error.code).toBe(code);
      },
    };
  },
});

/** Events as read back from the log, one second apart from T0. */
const recorded = (events: readonly DomainEvent[]): RecordedEvent[] =>
  events.map((event, i) => ({
    ...event,
    position: i + 1,
    streamId: 'tenant-acme',
    streamVersion: i + 1,
    recordedAt: new Date(T0 + i * 1000).toISOString(),
  }));

describe('tenant: disable and enable', () => {
  it('disables an enabled tenant with the reason given', () => {
    given([created, keyCreated])
      .when({ type: 'DisableTenant', reason: 'unpaid invoice' })
      .then([{ type: 'TenantDisabled', data: { reason: 'unpaid invoice' } }]);
  });

  it('disabling a disabled tenant changes nothing', () => {
    given([created, disabled]).when({ type: 'DisableTenant', reason: 'again' }).then([]);
  });

  it('enables a disabled tenant, and enabling an enabled one changes nothing', () => {
    given([created, disabled])
      .when({ type: 'EnableTenant', reason: 'paid' })
      .then([{ type: 'TenantEnabled', data: { reason: 'paid' } }]);
    given([created]).when({ type: 'EnableTenant' }).then([]);
    given([created, disabled, enabled]).when({ type: 'EnableTenant' }).then([]);
  });

  it('refuses to disable or enable a tenant that does not exist', () => {
    given([]).when({ type: 'DisableTenant' }).thenFails('not_found');
    given([]).when({ type: 'EnableTenant' }).thenFails('not_found');
  });

  it('still lets keys be created and revoked while disabled', () => {
    given([created, disabled])
      .when({ type: 'CreateApiKey', keyId: 'k2', name: 'next', secretHash: HASH })
      .then([{ type: 'ApiKeyCreated', data: { keyId: 'k2', name: 'next', secretHash: HASH } }]);
    given([created, keyCreated, disabled])
      .when({ type: 'RevokeApiKey', keyId: 'k1' })
      .then([{ type: 'ApiKeyRevoked', data: { keyId: 'k1', reason: '' } }]);
  });
});

describe('tenant state', () => {
  it('says who disabled the tenant, why and since when, until it is enabled', () => {
    const history = recorded([created, keyCreated, disabled]);
    const state = foldWith(tenantDecider, history);
    expect(state.disabled).toEqual({
      reason: 'unpaid invoice',
      actor: { kind: 'system', id: 'admin' },
      since: T0 + 2000,
    });
    const after = foldWith(tenantDecider, recorded([created, keyCreated, disabled, enabled]));
    expect(after.disabled).toBeNull();
    expect(after.keys['k1']?.revoked).toBe(false);
  });

  it('keeps when the tenant and each key were created and revoked', () => {
    const revoked = makeEvent('ApiKeyRevoked', { keyId: 'k1', reason: 'leaked' }, admin);
    const state = foldWith(tenantDecider, recorded([created, keyCreated, revoked]));
    expect(state.createdAt).toBe(T0);
    expect(state.keys['k1']).toMatchObject({
      createdAt: T0 + 1000,
      revoked: true,
      revokedAt: T0 + 2000,
    });
  });
});
