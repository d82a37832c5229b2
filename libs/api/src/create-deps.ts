import {
  createEventStoreDb,
  createEventStorePool,
  createPostgresEventStore,
} from '@orrery/event-store';
import { createHttpCaller, type HttpCallerOptions } from '@orrery/http';
import { createSchedulingDb } from '@orrery/scheduling';
import type { SecretBox } from '@orrery/secrets';
import type { Instrumentation } from '@orrery/telemetry';
import type { ApiDeps } from './deps.js';

/** Builds the API's dependencies over one database; `close` releases them. */
export function createApiDeps(options: {
  connectionString: string;
  secrets: SecretBox;
  adminKey?: string;
  http?: HttpCallerOptions;
  rateLimitPerMinute?: number;
  authFailuresPerMinute?: number;
  eventPageBytes?: number;
  publicUrl?: string;
  /** Where the API's request metrics go (default: nowhere). Its event store records nothing. */
  instrumentation?: Instrumentation;
}): { deps: ApiDeps; close: () => Promise<void> } {
  const { connectionString } = options;
  const store = createPostgresEventStore({ connectionString, maxConnections: 8 });
  const pool = createEventStorePool({ connectionString, max: 8 });
  const db = createSchedulingDb({ pool });
  const events = createEventStoreDb(createEventStorePool({ connectionString, max: 4 }));
  const caller = createHttpCaller(options.http ?? {});
  const deps: ApiDeps = {
    store,
    db,
    pool,
    events,
    connectionString,
    secrets: options.secrets,
    caller,
    now: Date.now,
    ...(options.adminKey ? { adminKey: options.adminKey } : {}),
    ...(options.rateLimitPerMinute ? { rateLimitPerMinute: options.rateLimitPerMinute } : {}),
    ...(options.authFailuresPerMinute
      ? { authFailuresPerMinute: options.authFailuresPerMinute }
      : {}),
    ...(options.eventPageBytes ? { eventPageBytes: options.eventPageBytes } : {}),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    ...(options.instrumentation ? { instrumentation: options.instrumentation } : {}),
  };
  return {
    deps,
    close: async () => {
      await caller.close();
      await store.close();
      await db.destroy();
      await events.destroy();
    },
  };
}
