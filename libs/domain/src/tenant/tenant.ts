import type { DecideContext, Decided, Decider } from '../decider.js';
import { fail, ok } from '../errors.js';
import { makeEvent, type DomainEvent } from '../events/event.js';

export interface ApiKeyState {
  readonly keyId: string;
  readonly name: string;
  readonly secretHash: string;
  readonly revoked: boolean;
}

export interface TenantState {
  readonly exists: boolean;
  readonly tenantId: string;
  readonly name: string;
  readonly keys: Readonly<Record<string, ApiKeyState>>;
  readonly version: number;
}

export const initialTenantState = (): TenantState => ({
  exists: false,
  tenantId: '',
  name: '',
  keys: {},
  version: 0,
});

export type TenantCommand =
  | { readonly type: 'CreateTenant'; readonly tenantId: string; readonly name: string }
  | {
      readonly type: 'CreateApiKey';
      readonly keyId: string;
      readonly name: string;
      readonly secretHash: string;
    }
  | { readonly type: 'RevokeApiKey'; readonly keyId: string; readonly reason?: string };

export function evolveTenant(state: TenantState, event: DomainEvent): TenantState {
  const version = state.version + 1;
  switch (event.type) {
    case 'TenantCreated':
      return {
        ...state,
        exists: true,
        tenantId: event.data.tenantId,
        name: event.data.name,
        version,
      };
    case 'ApiKeyCreated':
      return {
        ...state,
        keys: { ...state.keys, [event.data.keyId]: { ...event.data, revoked: false } },
        version,
      };
    case 'ApiKeyRevoked': {
      const key = state.keys[event.data.keyId];
      return key
        ? { ...state, keys: { ...state.keys, [key.keyId]: { ...key, revoked: true } }, version }
        : { ...state, version };
    }
    default:
      return { ...state, version };
  }
}

/** Decides tenant commands; revoking an already revoked key changes nothing. */
export function decideTenant(
  command: TenantCommand,
  state: TenantState,
  { metadata }: DecideContext,
): Decided {
  if (command.type === 'CreateTenant') {
    if (state.exists) return fail('conflict', `tenant ${state.tenantId} already exists`);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(command.tenantId)) {
      return fail('validation', 'tenant ids are 1–63 lowercase letters, digits and dashes', {
        field: 'tenantId',
      });
    }
    return ok([
      makeEvent('TenantCreated', { tenantId: command.tenantId, name: command.name }, metadata),
    ]);
  }
  if (!state.exists) return fail('not_found', 'tenant not found');
  if (command.type === 'CreateApiKey') {
    if (state.keys[command.keyId]) return fail('conflict', `key ${command.keyId} already exists`);
    const { keyId, name, secretHash } = command;
    return ok([makeEvent('ApiKeyCreated', { keyId, name, secretHash }, metadata)]);
  }
  const key = state.keys[command.keyId];
  if (!key) return fail('not_found', `key ${command.keyId} not found`, { field: 'keyId' });
  if (key.revoked) return ok([]);
  return ok([
    makeEvent('ApiKeyRevoked', { keyId: key.keyId, reason: command.reason ?? '' }, metadata),
  ]);
}

/** Schema version of {@link TenantState} (see {@link Decider.stateVersion}). */
export const TENANT_STATE_VERSION = 1;

/** The tenant aggregate: one stream per tenant, `tenant-<id>`, with its API keys. */
export const tenantDecider: Decider<TenantState, TenantCommand> = {
  name: 'tenant',
  stateVersion: TENANT_STATE_VERSION,
  initialState: initialTenantState,
  evolve: evolveTenant,
  decide: decideTenant,
};
