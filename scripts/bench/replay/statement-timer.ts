/**
 * Time spent in the read models' SQL, by statement, from Kysely's `log` option on the database
 * handle the bench builds for the projection: each statement's duration as the driver saw it
 * (sending the parameters, the server's work, receiving and parsing the rows), `begin` and
 * `commit` included. Nothing in the projection is wrapped or told about it.
 */
import type { LogEvent } from 'kysely';

/** What a statement does, from its text (first match wins). */
const KINDS: readonly [string, RegExp][] = [
  ['begin', /^begin\b/i],
  ['commit', /^commit\b/i],
  ['rollback', /^rollback\b/i],
  ['checkpoint (fence + move)', /update processor_checkpoints set position/i],
  ['lease (take, renew, fence)', /processor_checkpoints/i],
  ['parked streams', /parked_streams/i],
  ['load endpoint states (schedule)', /join schedule s on/i],
  ['load job states (jobs)', /join jobs j on/i],
  ["load a tenant's jobs", /^select .* from "jobs"/i],
  ['load tenant holds', /from "tenant_holds"/i],
  ['write schedule (upsert)', /^\s*insert into "?schedule"?\s/i],
  ['write runs: dispatches (upsert)', /^\s*insert into "?runs"?\s/i],
  ['write runs: responses (update)', /^\s*update runs set/i],
  ['notify dispatchers', /pg_notify/i],
  ['write jobs (upsert)', /^\s*insert into "?jobs"?\s/i],
  ['write tenant holds', /^\s*insert into "?tenant_holds"?\s/i],
  ['write conflicts', /^\s*insert into "?conflicts"?\s/i],
  ['write planner sessions', /planner_sessions/i],
  ["holds: read a job/tenant's rows", /^select .* from "schedule"/i],
  ['holds: rewrite rows', /^\s*update schedule s set/i],
];

export interface StatementTotal {
  readonly kind: string;
  readonly count: number;
  readonly ms: number;
}

export class StatementTimer {
  readonly #totals = new Map<string, { count: number; ms: number }>();
  #on = false;

  /** Pass as Kysely's `log` option. Counts only while started. */
  readonly log = (event: LogEvent): void => {
    if (!this.#on) return;
    const sql = event.query.sql;
    const kind =
      KINDS.find(([, pattern]) => pattern.test(sql))?.[0] ?? `other: ${sql.slice(0, 40)}`;
    const total = this.#totals.get(kind) ?? { count: 0, ms: 0 };
    total.count += 1;
    total.ms += event.queryDurationMillis;
    this.#totals.set(kind, total);
  };

  start(): void {
    this.#totals.clear();
    this.#on = true;
  }

  stop(): void {
    this.#on = false;
  }

  /** By time spent, the largest first. */
  totals(): StatementTotal[] {
    return [...this.#totals]
      .map(([kind, { count, ms }]) => ({ kind, count, ms }))
      .sort((a, b) => b.ms - a.ms);
  }
}
