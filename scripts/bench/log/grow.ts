/**
 * Growing one database's log to millions of events in SQL, fast enough for a short bench.
 *
 * A seed is written first through the event store (the replay phase's generator, so every row is
 * what `appendMany` writes: ids, versions, keys, payloads). Its endpoint and job streams are then
 * copied as COHORTS: cohort k is the same history on streams renamed `…-c<k>` (another 1 000
 * endpoints in the same tenants, jobs of their own), `recorded_at` shifted k seed-spans later.
 * So streams keep the seed's length however long the log grows (a read of one stream measures the
 * log's size, not a longer stream), tenants grow, and time moves forward.
 *
 * The copies go through `INSERT … SELECT` from `generate_series` into the same table, with every
 * index, constraint and trigger the migrations create, in position order (`ORDER BY` cohort then
 * seed position: the identity column numbers rows in the order the sort hands them over).
 */
import type pg from 'pg';

/** Rows one growth statement inserts: one transaction, one progress update. */
const CHUNK = 250_000;

export interface Template {
  /** Seed rows a cohort copies (the endpoint and job streams'). */
  readonly rows: number;
  /** The seed's span of `recorded_at`, plus a second: a cohort's shift in time, s. */
  readonly spanSeconds: number;
  /** Position of the seed's last event (cohort 0 is the seed itself). */
  readonly seedHead: number;
}

/** Copies the seed's endpoint and job streams into `log_template` (unlogged, not in `events`). */
export async function makeTemplate(client: pg.Client): Promise<Template> {
  await client.query(`
    create unlogged table log_template as
      select row_number() over (order by position)::int as ord, stream_id, stream_version, type,
        type_version, data, metadata, tenant_id, recorded_at, idempotency_key
      from events
      where stream_id like 'endpoint-%' or stream_id like 'job-%'`);
  await client.query('alter table log_template add primary key (ord)');
  const { rows } = await client.query<{ rows: number; span: number; head: string }>(`
    select (select count(*) from log_template)::int as rows,
      (select extract(epoch from max(recorded_at) - min(recorded_at)) + 1 from events)::float8
        as span,
      (select coalesce(max(position), 0) from events) as head`);
  const row = rows[0];
  if (!row || row.rows === 0) throw new Error('the seed holds no endpoint or job stream to copy');
  return { rows: row.rows, spanSeconds: row.span, seedHead: Number(row.head) };
}

/**
 * Cohort copies numbered `from + 1 … to` (0-based over all copied rows), in one statement:
 * row r is row `r mod rows + 1` of the template in cohort `r div rows + 1`.
 */
async function insertCopies(client: pg.Client, t: Template, from: number, to: number) {
  const firstCohort = Math.floor(from / t.rows) + 1;
  const lastCohort = Math.floor((to - 1) / t.rows) + 1;
  await client.query(
    `insert into events (stream_id, stream_version, type, type_version, data, metadata,
        tenant_id, recorded_at, idempotency_key)
      select t.stream_id || '-c' || k, t.stream_version, t.type, t.type_version,
        case when t.type = 'EndpointRegistered'
          then jsonb_set(t.data, '{jobId}', to_jsonb((t.data ->> 'jobId') || '-c' || k))
          else t.data end,
        t.metadata, t.tenant_id, t.recorded_at + make_interval(secs => k * $5::float8),
        t.idempotency_key
      from generate_series($1::int, $2::int) as k
      join log_template t
        on t.ord > greatest(0, $3::bigint - (k - 1)::bigint * $6)
       and t.ord <= least($6, $4::bigint - (k - 1)::bigint * $6)
      order by k, t.ord`,
    [firstCohort, lastCohort, from, to, t.spanSeconds, t.rows],
  );
}

export interface GrowProgress {
  update(line: string): void;
  done(): void;
}

/**
 * Appends copies until the log holds `target` events (or more by less than nothing: the last
 * statement stops at it). Returns the seconds it took; `signal` stops it between statements.
 */
export async function growTo(
  client: pg.Client,
  t: Template,
  target: number,
  progress: GrowProgress,
  signal: AbortSignal,
): Promise<{ seconds: number; inserted: number }> {
  const head = Number(
    (await client.query<{ head: string }>('select coalesce(max(position), 0) as head from events'))
      .rows[0]?.head ?? 0,
  );
  const copiedBefore = Math.max(0, head - t.seedHead);
  const copiedTarget = Math.max(copiedBefore, target - t.seedHead);
  const started = performance.now();
  const fmt = (n: number) => Math.round(n).toLocaleString('en');
  for (let from = copiedBefore; from < copiedTarget && !signal.aborted; from += CHUNK) {
    const to = Math.min(copiedTarget, from + CHUNK);
    await insertCopies(client, t, from, to);
    const elapsed = (performance.now() - started) / 1000;
    const rate = (to - copiedBefore) / elapsed;
    progress.update(
      `growing the log: ${fmt(t.seedHead + to)} / ${fmt(target)} events (${fmt(rate)}/s in SQL, ~${Math.ceil((copiedTarget - to) / Math.max(rate, 1))} s left)`,
    );
  }
  progress.done();
  return {
    seconds: (performance.now() - started) / 1000,
    inserted: copiedTarget - copiedBefore,
  };
}

/** Cohorts written whole (0 is the seed). */
export function wholeCohorts(t: Template, head: number): number {
  return 1 + Math.floor(Math.max(0, head - t.seedHead) / t.rows);
}

/** A stream or job id in cohort `k` (the seed's own for 0). */
export const inCohort = (id: string, k: number): string => (k === 0 ? id : `${id}-c${k}`);
