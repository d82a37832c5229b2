/**
 * What the read-only verbs (explain, history, events tail, what-if) share once their command
 * line is parsed: a zod issue named by its flag, the connection (as every verb connects), the
 * API's dependencies for reads, and a refused read (exit 1 with its message).
 */
import { ProblemError } from '@orrery/api';
import type { EventStore } from '@orrery/domain';
import {
  createEventStoreDb,
  createEventStorePool,
  createPostgresEventStore,
  migrateDatabase,
  type EventStoreSchema,
} from '@orrery/event-store';
import { createSchedulingDb, schedulingMigrations, type SchedulingDb } from '@orrery/scheduling';
import type { Kysely } from 'kysely';
import { connectForTool } from '../lib/connect.js';

/** The part of the API's dependencies its reads take. */
export interface ReadDeps {
  readonly store: EventStore;
  readonly events: Kysely<EventStoreSchema>;
  readonly db: SchedulingDb;
  /** The pool under `db` (the API's single reads are prepared statements on it). */
  readonly pool: ReturnType<typeof createEventStorePool>;
  readonly now: () => number;
}

/** The message of the first issue of a failed zod parse, naming the flag (`--type: …`). */
export function issueMessage(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  flags: Readonly<Record<string, string>>,
): string {
  const [issue] = issues;
  if (!issue) return 'invalid arguments';
  const key = String(issue.path[0] ?? '');
  return `${flags[key] ?? key}: ${issue.message}`;
}

/**
 * Connects (DATABASE_URL, else the running `npm start`'s server, else one started here),
 * migrates as the other verbs do, runs `read`, and closes everything. A ProblemError (an
 * unknown endpoint or job of `tenant`) prints its message and answers 1.
 */
export async function withReadDeps(
  tenant: string,
  read: (deps: ReadDeps) => Promise<number>,
): Promise<number> {
  const { url, embedded } = await connectForTool();
  const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
  const events = createEventStoreDb(createEventStorePool({ connectionString: url, max: 2 }));
  const pool = createEventStorePool({ connectionString: url, max: 2 });
  const db = createSchedulingDb({ pool });
  try {
    await migrateDatabase(url, undefined, schedulingMigrations);
    return await read({ store, events, db, pool, now: Date.now });
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    const where = error.code === 'not_found' && !/\btenant\b/.test(error.message);
    console.error(`orrery: ${error.message}${where ? ` in tenant ${tenant} (see --tenant)` : ''}`);
    return 1;
  } finally {
    await store.close();
    await events.destroy();
    await db.destroy();
    await embedded?.stop();
  }
}
