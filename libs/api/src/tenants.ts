import {
  foldWith,
  tenantDecider,
  tenantStream,
  type EventMetadata,
  type EventStore,
  type TenantCommand,
  type TenantState,
} from '@orrery/domain';
import { generateApiKey } from './auth/api-keys.js';
import { command } from './commands/command.js';
import { readTenant } from './reads/tenants.js';

const admin = (tenantId: string, by: string): EventMetadata => ({
  tenantId,
  actor: { kind: 'system', id: by },
});

/**
 * Tenant administration, shared by the admin routes, the `orrery` CLI and
 * embedded mode's first start. Keys are returned once and stored hashed.
 */
const onTenant = (store: EventStore, tenantId: string, by: string, cmd: TenantCommand) =>
  command(store, tenantDecider, tenantStream(tenantId), cmd, {
    now: Date.now,
    metadata: admin(tenantId, by),
  });

export async function createTenant(
  store: EventStore,
  tenantId: string,
  name: string,
  by = 'admin',
) {
  await onTenant(store, tenantId, by, { type: 'CreateTenant', tenantId, name });
  return { id: tenantId, name };
}

export async function createApiKey(
  store: EventStore,
  tenantId: string,
  name: string,
  by = 'admin',
) {
  const { key, keyId, secretHash } = generateApiKey(tenantId);
  await onTenant(store, tenantId, by, { type: 'CreateApiKey', keyId, name, secretHash });
  return { keyId, key, name };
}

export async function revokeApiKey(
  store: EventStore,
  tenantId: string,
  keyId: string,
  by = 'admin',
) {
  await onTenant(store, tenantId, by, { type: 'RevokeApiKey', keyId });
  return { keyId, revoked: true as const };
}

/**
 * Disables a tenant: from the moment this returns, every key of the tenant is refused (403),
 * and scheduling can read `disabled` from the tenant's state. Disabling a disabled tenant
 * changes nothing. Answers the tenant as it is now.
 */
export async function disableTenant(
  store: EventStore,
  tenantId: string,
  reason = '',
  by = 'admin',
): Promise<TenantState> {
  await onTenant(store, tenantId, by, { type: 'DisableTenant', reason });
  return readTenant(store, tenantId);
}

/** Enables a disabled tenant again (its keys that are not revoked work at once). */
export async function enableTenant(
  store: EventStore,
  tenantId: string,
  reason = '',
  by = 'admin',
): Promise<TenantState> {
  await onTenant(store, tenantId, by, { type: 'EnableTenant', reason });
  return readTenant(store, tenantId);
}

/** Whether a tenant exists (embedded mode creates `default` on first start). */
export async function tenantExists(store: EventStore, tenantId: string): Promise<boolean> {
  return foldWith(tenantDecider, await store.readStream(tenantStream(tenantId))).exists;
}
