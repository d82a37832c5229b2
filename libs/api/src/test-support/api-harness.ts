import {
  createEventStoreDb,
  createEventStorePool,
  createPostgresEventStore,
  migrateDatabase,
} from '@orrery/event-store';
import { createHttpCaller } from '@orrery/http';
import {
  createSchedulingDb,
  runToHead,
  schedulingMigrations,
  SchedulingProjection,
} from '@orrery/scheduling';
import { SecretBox } from '@orrery/secrets';
import { useTestDatabase } from '@orrery/testkit';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { createApiKey, createTenant } from '../tenants.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface ApiHarness {
  readonly app: FastifyInstance;
  readonly deps: ApiDeps;
  /** The test database, as its owner (for what a test stages outside the API). */
  readonly databaseUrl: string;
  /** API keys: t1 and t2 are two tenants; revoked belongs to t1 and is revoked. */
  readonly keys: { t1: string; t2: string; revoked: string };
  /** Sends a request as a tenant (`key`), or with no Authorization when `key` is null. */
  request(
    method: InjectOptions['method'],
    url: string,
    options?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test answers are checked with matchers
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Brings the read models up to the head of the log (the projection, run inline). */
  catchUp(): Promise<void>;
}

/**
 * An API over a fresh database (one per test file), with two tenants and keys.
 * Call at the top of a test file; use the returned getter inside tests.
 */
export function useApiHarness(overrides: Partial<ApiDeps> = {}): () => ApiHarness {
  const db = useTestDatabase();
  let harness: ApiHarness | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const url = db().url;
    await migrateDatabase(url, undefined, schedulingMigrations);
    const store = createPostgresEventStore({ connectionString: url, maxConnections: 4 });
    const pool = createEventStorePool({ connectionString: url, max: 4 });
    const readModels = createSchedulingDb({ pool });
    const eventsPool = createEventStorePool({ connectionString: url, max: 2 });
    const events = createEventStoreDb(eventsPool);
    const caller = createHttpCaller({ allowLoopback: true });
    const log = pino({ level: 'silent' });
    const projection = new SchedulingProjection({ db: readModels, store });
    const deps: ApiDeps = {
      store,
      db: readModels,
      pool,
      events,
      secrets: SecretBox.fromBase64(SecretBox.generateKey()),
      caller,
      now: Date.now,
      adminKey: ADMIN_KEY,
      connectionString: url,
      ...overrides,
    };
    const app = await buildApp(deps);
    await createTenant(store, 't1', 'Tenant one');
    await createTenant(store, 't2', 'Tenant two');
    const keys = {
      t1: (await createApiKey(store, 't1', 'test')).key,
      t2: (await createApiKey(store, 't2', 'test')).key,
      revoked: (await createApiKey(store, 't1', 'old')).key,
    };
    const revoked = keys.revoked.split('.')[1] ?? '';
    const { revokeApiKey } = await import('../tenants.js');
    await revokeApiKey(store, 't1', revoked);
    harness = {
      app,
      deps,
      databaseUrl: url,
      keys,
      async request(method, url, options = {}) {
        const key = options.key === undefined ? keys.t1 : options.key;
        const response = await app.inject({
          method,
          url,
          headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers },
          ...(options.body === undefined ? {} : { payload: options.body as object }),
        });
        const text = response.body;
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          // not JSON
        }
        return { status: response.statusCode, body, headers: response.headers };
      },
      async catchUp() {
        await runToHead(projection, { store, db: readModels, log });
      },
    };
    cleanup = async () => {
      await app.close();
      await caller.close();
      await store.close();
      await readModels.destroy();
      await events.destroy();
    };
  });
  afterAll(async () => {
    await cleanup?.();
  });
  return () => {
    if (!harness) throw new Error('the API harness exists only inside tests');
    return harness;
  };
}
