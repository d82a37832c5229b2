import {
  decideTenant,
  foldTenant,
  tenantStream,
  type EventMetadata,
  type EventStore,
} from '@orrery/domain';
import { generateApiKey } from './auth/api-keys.js';
import { runCommand } from './commands/run-command.js';

const admin = (tenantId: string, by: string): EventMetadata => ({
  tenantId,
  actor: { kind: 'system', id: by },
});

/**
 * Tenant administration, shared by the admin routes, the `orrery` CLI and
 * embedded mode's first start. Keys are returned once and stored hashed.
 */
export async function createTenant(
  store: EventStore,
  tenantId: string,
  name: string,
  by = 'admin',
) {
  await runCommand(store, tenantStream(tenantId), foldTenant, (state) =>
    decideTenant({ type: 'CreateTenant', tenantId, name }, state, admin(tenantId, by)),
  );
  return { id: tenantId, name };
}

export async function createApiKey(
  store: EventStore,
  tenantId: string,
  name: string,
  by = 'admin',
) {
  const { key, keyId, secretHash } = generateApiKey(tenantId);
  await runCommand(store, tenantStream(tenantId), foldTenant, (state) =>
    decideTenant({ type: 'CreateApiKey', keyId, name, secretHash }, state, admin(tenantId, by)),
  );
  return { keyId, key, name };
}

export async function revokeApiKey(
  store: EventStore,
  tenantId: string,
  keyId: string,
  by = 'admin',
) {
  await runCommand(store, tenantStream(tenantId), foldTenant, (state) =>
    decideTenant({ type: 'RevokeApiKey', keyId }, state, admin(tenantId, by)),
  );
  return { keyId, revoked: true as const };
}

/** Whether a tenant exists (embedded mode creates `default` on first start). */
export async function tenantExists(store: EventStore, tenantId: string): Promise<boolean> {
  return foldTenant(await store.readStream(tenantStream(tenantId))).exists;
}
