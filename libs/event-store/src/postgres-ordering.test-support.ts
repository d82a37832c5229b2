/**
 * Test-only tools for the ordering suite. They stage late commits from the outside — a trigger
 * in the test database and a lock held on a connection of the test's own — so the store under
 * test is the production store, with production options.
 */
import type { AppendOutcome, AppendRequest } from '@orrery/domain';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { keysOf, outcomesOf, planAppend } from './append-plan.js';
import { createEventStoreDb, createEventStorePool } from './postgres-connection.js';
import { insertEvents, versionsAndKeys } from './postgres-statements.js';
import { withClient } from './postgres-test-helpers.js';
import type { EventStoreSchema } from './schema.js';

/** Advisory lock the test holds to keep `held-…` appends from committing. */
export const HOLD_KEY = 0x6f7272_0f0f;

/** Streams whose appends wait, after their insert and before their commit, for {@link holdCommits}. */
export const HELD = 'held';
/** Streams whose appends sometimes sleep up to 3 ms after their insert, before their commit. */
export const JITTERED = 'jitter';

/**
 * Installs a statement trigger on `events` in the test database: an insert into a `held-…`
 * stream waits for {@link HOLD_KEY} inside its transaction (its positions are taken, its rows
 * not yet visible); an insert into a `jitter-…` stream sleeps 0–3 ms three times in ten, to vary
 * the order in which concurrent appends commit. Other streams are not touched.
 */
export async function installCommitGates(url: string): Promise<void> {
  await withClient(url, (client) =>
    client.query(`
      create or replace function test_commit_gate() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from inserted where stream_id like '${HELD}-%') then
          perform pg_advisory_xact_lock_shared(${HOLD_KEY});
        end if;
        if exists (select 1 from inserted where stream_id like '${JITTERED}-%')
           and random() < 0.3 then
          perform pg_sleep(random() * 0.003);
        end if;
        return null;
      end $$;
      drop trigger if exists test_commit_gate on events;
      create trigger test_commit_gate after insert on events
        referencing new table as inserted for each statement execute function test_commit_gate();`),
  );
}

/** Holds {@link HOLD_KEY} on a connection of its own until `release`. */
export async function holdCommits(url: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('select pg_advisory_lock($1)', [HOLD_KEY]);
  let released: Promise<void> | undefined;
  return {
    release: () => (released ??= client.end()),
  };
}

/** Sessions of the current database waiting for the advisory lock `key` (a bigint key). */
export async function waitingFor(url: string, key: number): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_locks l join pg_stat_activity a using (pid)
       where a.datname = current_database() and l.locktype = 'advisory' and not l.granted
         and l.classid = ($1::bigint >> 32)::oid and l.objid = ($1::bigint & 4294967295)::oid`,
      [key],
    );
    return rows[0]?.n ?? 0;
  });
}

/**
 * The store's append without the ordering lock: the same statements (versions and keys, plan,
 * one insert) in one transaction, as the store would run them had the lock been removed. Shows
 * what the lock prevents.
 */
export class UnlockedWriter {
  readonly #db: Kysely<EventStoreSchema>;

  constructor(url: string) {
    this.#db = createEventStoreDb(createEventStorePool({ connectionString: url, max: 4 }));
  }

  async append(request: AppendRequest): Promise<AppendOutcome> {
    const requests = [request];
    const [outcome] = await this.#db.transaction().execute(async (trx) => {
      const keys = keysOf(requests);
      const { current, existingKeys } = await versionsAndKeys(trx, requests, keys);
      const plan = planAppend(requests, { current, existingKeys, mode: 'each' });
      const positions = plan.events.length > 0 ? await insertEvents(trx, plan.events) : [];
      return outcomesOf(plan, positions);
    });
    if (!outcome) throw new Error('no outcome for one request');
    return outcome;
  }

  close(): Promise<void> {
    return this.#db.destroy();
  }
}
