import { sql } from 'kysely';
import type { SchedulingDb } from '../db.js';

/** How far a processor has read the log, and whether it is keeping up. */
export interface ProcessorStatus {
  readonly name: string;
  /** Position handled up to. */
  readonly position: number;
  /** Events in the log it has not handled yet. */
  readonly lag: number;
  /** How long the oldest of them has waited (0 when caught up). */
  readonly waitingMs: number;
  /** A host holds its lease now (something is running it). */
  readonly active: boolean;
  readonly owner: string | null;
  /** Streams it set aside because their events could not be handled. */
  readonly parked: number;
}

/**
 * The status of every processor, from the database alone (any process can ask: /readyz, the
 * replay tool). The waiting time is measured from the recording time of the oldest event not
 * handled yet, against the database clock, so a processor that stopped moving shows it however
 * long ago it last moved.
 */
export async function processorStatus(
  db: SchedulingDb,
): Promise<{ head: number; processors: ProcessorStatus[] }> {
  const { rows } = await sql<{
    name: string;
    position: string | number;
    owner: string | null;
    active: boolean | null;
    head: string | number;
    waiting_ms: string | number | null;
    parked: string | number;
  }>`
    with head as (select coalesce(max(position), 0) as head from events)
    select c.name, c.position, c.owner, c.lease_until > now() as active, head.head,
      extract(epoch from now() - (
        select e.recorded_at from events e where e.position > c.position
        order by e.position limit 1)) * 1000 as waiting_ms,
      (select count(*) from parked_streams p where p.processor = c.name) as parked
    from processor_checkpoints c cross join head
    order by c.name`.execute(db);
  const head = Number(rows[0]?.head ?? (await headOf(db)));
  return {
    head,
    processors: rows.map((row) => ({
      name: row.name,
      position: Number(row.position),
      lag: Math.max(0, head - Number(row.position)),
      waitingMs: Math.max(0, Math.round(Number(row.waiting_ms ?? 0))),
      active: row.active === true,
      owner: row.owner,
      parked: Number(row.parked),
    })),
  };
}

async function headOf(db: SchedulingDb): Promise<number> {
  const { rows } = await sql<{ head: string | number }>`
    select coalesce(max(position), 0) as head from events`.execute(db);
  return Number(rows[0]?.head ?? 0);
}
