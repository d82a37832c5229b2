import { fail, ok, type Result } from '../errors.js';
import { makeEvent, type DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';

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

export const foldTenant = (events: readonly DomainEvent[]): TenantState =>
  events.reduce(evolveTenant, initialTenantState());

/** Decides tenant commands; revoking an already revoked key changes nothing. */
export function decideTenant(
  command: TenantCommand,
  state: TenantState,
  metadata: EventMetadata,
): Result<readonly DomainEvent[]> {
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
