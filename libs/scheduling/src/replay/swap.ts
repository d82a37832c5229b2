import { sql } from 'kysely';
import { SCHEDULE_CHANNEL, type SchedulingDb } from '../db.js';
import { ProcessorLease } from '../processing/lease.js';
import { ReplayRefusedError } from './scope.js';
import type { Shadow } from './shadow.js';
import { replayedTables } from './tables.js';

/** What became of a swap: done (the checkpoint now at `position`), or refused and why. */
export type SwapOutcome =
  | { readonly swapped: true; readonly position: number }
  | { readonly swapped: false; readonly reason: string };

/** @throws ReplayRefusedError (`running`) while a host holds the processor's lease. */
export async function assertNotRunning(live: SchedulingDb, processor: string): Promise<void> {
  const { rows } = await sql<{ held: boolean; owner: string | null }>`
    select lease_until > now() as held, owner from processor_checkpoints
    where name = ${processor}`.execute(live);
  const row = rows[0];
  if (row?.held) {
    throw new ReplayRefusedError(
      'running',
      `processor ${processor} is running (its lease is held by ${row.owner ?? '?'}): ` +
        'stop it before a swap',
    );
  }
}

/**
 * Puts the replayed rows in place of the live ones, in one transaction, under the processor's
 * own lease (so no host can run it meanwhile, and it resumes from `through` after):
 *
 * - the checkpoint moves to `through` — first, which locks its row for the transaction;
 * - each read model's rows are deleted and the replayed ones inserted (rows, not tables: the live
 *   tables keep their names, indexes, grants and owner, which later migrations rely on; a DELETE,
 *   unlike a TRUNCATE, leaves concurrent readers their snapshot and needs no extra privilege);
 * - dispatcher claims still running are kept (they are not a fold of the log);
 * - the processor's parked streams become the replay's own (none, unless the replay could not
 *   handle a stream either);
 * - dispatchers are told the schedule changed.
 */
export async function swapIn(
  live: SchedulingDb,
  shadow: Shadow,
  through: number,
  processor: string,
): Promise<SwapOutcome> {
  const lease = new ProcessorLease(live, processor, 60_000, `replay-${process.pid}`);
  const held = await lease.acquire();
  if (!held)
    return { swapped: false, reason: `processor ${processor} is running (its lease is held)` };
  const liveTable = (table: string) => sql.id(shadow.live, table);
  const replayed = (table: string) => sql.id(shadow.schema, table);
  try {
    return await shadow.db.transaction().execute(async (trx) => {
      const moved = await sql`update ${liveTable('processor_checkpoints')}
        set position = ${through}, updated_at = now()
        where name = ${processor} and token = ${held.token}`.execute(trx);
      if (Number(moved.numAffectedRows ?? 0) !== 1) {
        return { swapped: false, reason: `processor ${processor}'s lease was taken meanwhile` };
      }
      const { rows: claims } = await sql<{ tenant_id: string; endpoint_id: string }>`
        select tenant_id, endpoint_id, claimed_until from ${liveTable('schedule')}
        where claimed_until > now()`.execute(trx);
      for (const table of replayedTables) {
        await sql`delete from ${liveTable(table)}`.execute(trx);
        await sql`insert into ${liveTable(table)} select * from ${replayed(table)}`.execute(trx);
      }
      await sql`update ${liveTable('schedule')} s set claimed_until = c.claimed_until
        from jsonb_to_recordset(${JSON.stringify(claims)}::jsonb)
          as c(tenant_id text, endpoint_id text, claimed_until timestamptz)
        where s.tenant_id = c.tenant_id and s.endpoint_id = c.endpoint_id`.execute(trx);
      await sql`delete from ${liveTable('parked_streams')} where processor = ${processor}`.execute(
        trx,
      );
      await sql`insert into ${liveTable('parked_streams')}
        select * from ${replayed('parked_streams')} where processor = ${processor}`.execute(trx);
      await sql`select pg_notify(${SCHEDULE_CHANNEL}, '')`.execute(trx);
      return { swapped: true, position: through };
    });
  } finally {
    await lease.release(held.token).catch(() => {}); // else it lapses within a minute
  }
}
