import type { DecideContext, Decided, Decider } from '../decider.js';
import { fail, ok } from '../errors.js';
import { makeEvent, type DomainEvent, type RecordedEvent } from '../events/event.js';
import type { Actor } from '../events/metadata.js';
import { fromIso, type Millis } from '../time.js';

export interface ApiKeyState {
  readonly keyId: string;
  readonly name: string;
  readonly secretHash: string;
  readonly revoked: boolean;
  /** When the key was created (0 until its ApiKeyCreated is read back from the log). */
  readonly createdAt: Millis;
  /** When it was revoked (null while it is not; 0 until read back from the log). */
  readonly revokedAt: Millis | null;
}

/** Why a tenant is disabled, who disabled it, and since when. */
export interface TenantDisable {
  readonly reason: string;
  readonly actor: Actor;
  /** When it was disabled (0 until its TenantDisabled is read back from the log). */
  readonly since: Millis;
}

export interface TenantState {
  readonly exists: boolean;
  readonly tenantId: string;
  readonly name: string;
  /** When the tenant was created (0 until its TenantCreated is read back from the log). */
  readonly createdAt: Millis;
  readonly keys: Readonly<Record<string, ApiKeyState>>;
  /**
   * Set while the tenant is disabled: every one of its keys is refused. Scheduling reads it to
   * hold the tenant's endpoints. Null while the tenant is enabled.
   */
  readonly disabled: TenantDisable | null;
  readonly version: number;
}

export const initialTenantState = (): TenantState => ({
  exists: false,
  tenantId: '',
  name: '',
  createdAt: 0,
  keys: {},
  disabled: null,
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
  | { readonly type: 'RevokeApiKey'; readonly keyId: string; readonly reason?: string }
  | { readonly type: 'DisableTenant'; readonly reason?: string }
  | { readonly type: 'EnableTenant'; readonly reason?: string };

/** Folds one event of a tenant stream; times come from the log's recording time. */
export function evolveTenant(state: TenantState, event: DomainEvent | RecordedEvent): TenantState {
  const version = state.version + 1;
  const at = 'recordedAt' in event ? fromIso(event.recordedAt) : 0;
  switch (event.type) {
    case 'TenantCreated':
      return {
        ...state,
        exists: true,
        tenantId: event.data.tenantId,
        name: event.data.name,
        createdAt: at,
        version,
      };
    case 'ApiKeyCreated':
      return {
        ...state,
        keys: {
          ...state.keys,
          [event.data.keyId]: { ...event.data, revoked: false, createdAt: at, revokedAt: null },
        },
        version,
      };
    case 'ApiKeyRevoked': {
      const key = state.keys[event.data.keyId];
      return key
        ? {
            ...state,
            keys: { ...state.keys, [key.keyId]: { ...key, revoked: true, revokedAt: at } },
            version,
          }
        : { ...state, version };
    }
    case 'TenantDisabled':
      return {
        ...state,
        disabled: { reason: event.data.reason, actor: event.metadata.actor, since: at },
        version,
      };
    case 'TenantEnabled':
      return { ...state, disabled: null, version };
    default:
      return { ...state, version };
  }
}

/**
 * Decides tenant commands. Revoking a revoked key, disabling a disabled tenant and enabling an
 * enabled one change nothing (no event): a retried admin command is harmless.
 */
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
  switch (command.type) {
    case 'CreateApiKey': {
      if (state.keys[command.keyId]) return fail('conflict', `key ${command.keyId} already exists`);
      const { keyId, name, secretHash } = command;
      return ok([makeEvent('ApiKeyCreated', { keyId, name, secretHash }, metadata)]);
    }
    case 'RevokeApiKey': {
      const key = state.keys[command.keyId];
      if (!key) return fail('not_found', `key ${command.keyId} not found`, { field: 'keyId' });
      if (key.revoked) return ok([]);
      return ok([
        makeEvent('ApiKeyRevoked', { keyId: key.keyId, reason: command.reason ?? '' }, metadata),
      ]);
    }
    case 'DisableTenant':
      if (state.disabled) return ok([]);
      return ok([makeEvent('TenantDisabled', { reason: command.reason ?? '' }, metadata)]);
    case 'EnableTenant':
      if (!state.disabled) return ok([]);
      return ok([makeEvent('TenantEnabled', { reason: command.reason ?? '' }, metadata)]);
  }
}

/** Schema version of {@link TenantState} (see {@link Decider.stateVersion}). */
export const TENANT_STATE_VERSION = 2;

/**
 * The tenant aggregate: one stream per tenant, `tenant-<id>`, with its API keys and whether it
 * is disabled.
 */
export const tenantDecider: Decider<TenantState, TenantCommand> = {
  name: 'tenant',
  stateVersion: TENANT_STATE_VERSION,
  initialState: initialTenantState,
  evolve: evolveTenant,
  decide: decideTenant,
};
