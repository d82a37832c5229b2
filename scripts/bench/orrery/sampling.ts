/** What the phases sample while they run: the schedule, the Postgres processes, rates per second. */
import type { SchedulingDb } from '@orrery/scheduling';
import { sql } from 'kysely';

/**
 * The Postgres processes serving the bench database, and the server's background processes.
 * `runtime`: a runtime, or anything else holding the bench database's read models.
 */
export async function postgresPids(runtime: { readonly db: SchedulingDb }): Promise<Set<number>> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity /* bench */
    where datname = current_database() or datname is null`.execute(runtime.db);
  return new Set(rows.map((r) => r.pid));
}

export async function scheduleProbe(runtime: {
  readonly db: SchedulingDb;
}): Promise<{ due: number; inFlight: number }> {
  const { rows } = await sql<{ due: number; in_flight: number }>`
    select count(*) filter (where next_run_at <= now())::int as due,
           count(*) filter (where in_flight_run_id is not null)::int as in_flight
    from schedule /* bench */`.execute(runtime.db);
  return { due: rows[0]?.due ?? 0, inFlight: rows[0]?.in_flight ?? 0 };
}

export const perSecond = () => {
  let last = 0;
  return (total: number) => {
    const rate = total - last;
    last = total;
    return rate;
  };
};
