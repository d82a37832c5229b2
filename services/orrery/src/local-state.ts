import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApiKey, createTenant, tenantExists } from '@orrery/api';
import type { EventStore } from '@orrery/domain';
import { ensureServiceLogin } from '@orrery/event-store';
import { SecretBox } from '@orrery/secrets';

/**
 * Files embedded mode keeps in its data directory (never committed):
 * `secret.key` (encrypts secret headers), `api-key` (the default tenant's
 * first key, shown at every start), `pg.url` (how the CLI reaches the
 * running embedded server, as its superuser), `pg-app.password` (the
 * services' database password, see {@link embeddedServiceUrl}).
 */
export async function loadSecretBox(
  dataDir: string,
  fromEnv: string | undefined,
): Promise<SecretBox> {
  if (fromEnv) return SecretBox.fromBase64(fromEnv);
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${SecretBox.generateKey()}\n`, { mode: 0o600 });
  }
  return SecretBox.fromBase64((await readFile(file, 'utf8')).trim(), file);
}

/** The default tenant and its first API key: created on the first start, read back after. */
export async function ensureDefaultTenant(store: EventStore, dataDir: string): Promise<string> {
  const file = join(dataDir, 'api-key');
  if (!(await tenantExists(store, 'default'))) {
    await createTenant(store, 'default', 'Default tenant', 'embedded');
    const { key } = await createApiKey(store, 'default', 'first key', 'embedded');
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    return key;
  }
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  // The key file was removed: mint a new key rather than leave the user locked out.
  const { key } = await createApiKey(store, 'default', 'replacement key', 'embedded');
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

export async function writePgUrl(dataDir: string, url: string | null): Promise<void> {
  const file = join(dataDir, 'pg.url');
  await writeFile(file, url ? `${url}\n` : '', { mode: 0o600 });
}

/** The login role embedded mode's services connect as. */
const APP_ROLE = 'orrery_app';

/**
 * Where embedded mode's services connect: as `orrery_app`, a login member of
 * `orrery_service`, which may append to the log but never change it, rather
 * than as the superuser that owns it (and could disable its triggers). The
 * password is random, kept in `pg-app.password` (0600); the role is created,
 * or its password set to the file's, at each start. Run the migrations first.
 */
export async function embeddedServiceUrl(superuserUrl: string, dataDir: string): Promise<string> {
  const file = join(dataDir, 'pg-app.password');
  if (!existsSync(file)) {
    await writeFile(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  }
  const password = (await readFile(file, 'utf8')).trim();
  return ensureServiceLogin(superuserUrl, { name: APP_ROLE, password });
}
