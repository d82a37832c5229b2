import {
  foldWith,
  tenantDecider,
  tenantStream,
  type EventMetadata,
  type EventStore,
  type TenantCommand,
} from '@orrery/domain';
import { generateApiKey } from './auth/api-keys.js';
import { command } from './commands/command.js';

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

/** Whether a tenant exists (embedded mode creates `default` on first start). */
export async function tenantExists(store: EventStore, tenantId: string): Promise<boolean> {
  return foldWith(tenantDecider, await store.readStream(tenantStream(tenantId))).exists;
}
