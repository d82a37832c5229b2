import { sql, type RawBuilder } from 'kysely';

/** Who a filtered replay is about, resolved from the log (null: not narrowed that way). */
export interface ResolvedScope {
  readonly tenants: readonly string[] | null;
  readonly jobs: readonly { readonly tenantId: string; readonly jobId: string }[] | null;
  readonly endpoints: readonly { readonly tenantId: string; readonly endpointId: string }[] | null;
}

export const UNSCOPED: ResolvedScope = { tenants: null, jobs: null, endpoints: null };

/**
 * Log positions whose events a compare leaves out: rows they may have changed are not compared,
 * because one side has read them and the other not (the live projection ahead of or behind the
 * replay).
 */
export interface Window {
  readonly after: number;
  readonly through: number;
}

/** A row reference in the compare's join: `l` (live) and `s` (replayed), by column. */
type Ref = (column: string) => RawBuilder<unknown>;

interface TableSpec {
  /** The primary key: rows are matched on it. */
  readonly key: readonly string[];
  /** Columns the projection does not own: never compared, kept by a swap. */
  readonly ignore: readonly string[];
  /** The rows of the scope, as a condition on the table aliased `t`. */
  readonly scope: (scope: ResolvedScope) => RawBuilder<boolean> | null;
  /** Whether an event of the window may have changed the row (`k`: the key, either side). */
  readonly moved: (
    k: Ref,
    sides: { l: Ref; s: Ref },
    events: RawBuilder<unknown>,
    w: Window,
  ) => RawBuilder<boolean>;
}

/** `t`'s rows whose (tenant, `column`) is one of `pairs`. */
const byPairs = (column: string, pairs: readonly (readonly [string, string])[]) =>
  sql<boolean>`(t.tenant_id, t.${sql.ref(column)}) in (select * from unnest(
    ${pairs.map(([tenant]) => tenant)}::text[], ${pairs.map(([, id]) => id)}::text[]))`;
const byTenant = (scope: ResolvedScope) =>
  scope.tenants && sql<boolean>`t.tenant_id = any(${[...scope.tenants]}::text[])`;
const byJob = (scope: ResolvedScope) =>
  scope.jobs &&
  byPairs(
    'job_id',
    scope.jobs.map((j) => [j.tenantId, j.jobId] as const),
  );
const byEndpoint = (scope: ResolvedScope) =>
  scope.endpoints &&
  byPairs(
    'endpoint_id',
    scope.endpoints.map((e) => [e.tenantId, e.endpointId] as const),
  );
/** Rows of an endpoint: narrowest first (one endpoint, one job, one tenant). */
const endpointRows = (scope: ResolvedScope) => byEndpoint(scope) ?? byJob(scope) ?? byTenant(scope);

// Stream ids spelled in SQL as `streams.ts` spells them: `<kind>-<tenant>.<id>`, `tenant-<id>`.
const stream = (kind: string, tenant: RawBuilder<unknown>, id: RawBuilder<unknown>) =>
  sql`${sql.lit(`${kind}-`)} || ${tenant} || '.' || ${id}`;
const statusEvents = sql`('TenantDisabled', 'TenantEnabled')`;
const inWindow = (position: RawBuilder<unknown>, w: Window) =>
  sql<boolean>`(${position} > ${w.after} and ${position} <= ${w.through})`;
const anyEvent = (events: RawBuilder<unknown>, w: Window, where: RawBuilder<boolean>) =>
  sql<boolean>`exists (select 1 from ${events} e
    where e.position > ${w.after} and e.position <= ${w.through} and ${where})`;

/**
 * The read models the scheduling projection writes, with what a replay compares and swaps. A
 * table the projection starts writing must be added here (the replay test fails otherwise: its
 * rows would be neither replayed nor compared).
 */
export const REPLAYED_TABLES = {
  tenant_holds: {
    key: ['tenant_id'],
    ignore: [],
    scope: byTenant,
    moved: (k, _sides, events, w) =>
      anyEvent(
        events,
        w,
        sql`e.stream_id = 'tenant-' || ${k('tenant_id')} and e.type in ${statusEvents}`,
      ),
  },
  jobs: {
    key: ['tenant_id', 'job_id'],
    ignore: [],
    scope: (scope) => byJob(scope) ?? byTenant(scope),
    moved: (k, _sides, events, w) =>
      anyEvent(events, w, sql`e.stream_id = ${stream('job', k('tenant_id'), k('job_id'))}`),
  },
  schedule: {
    key: ['tenant_id', 'endpoint_id'],
    // A dispatcher's claim on the row, not a fold of the log.
    ignore: ['claimed_until'],
    scope: endpointRows,
    // Its endpoint's events, its job's (holds), and its tenant's status.
    moved: (k, { l, s }, events, w) =>
      anyEvent(
        events,
        w,
        sql`e.stream_id = any(array[${stream('endpoint', k('tenant_id'), k('endpoint_id'))},
            ${stream('job', k('tenant_id'), l('job_id'))}, ${stream('job', k('tenant_id'), s('job_id'))},
            'tenant-' || ${k('tenant_id')}])
          and (e.stream_id not like 'tenant-%' or e.type in ${statusEvents})`,
      ),
  },
  runs: {
    key: ['tenant_id', 'run_id'],
    ignore: [],
    scope: endpointRows,
    moved: (k, _sides, events, w) =>
      anyEvent(
        events,
        w,
        sql`e.stream_id = ${stream('endpoint', k('tenant_id'), k('endpoint_id'))}
          and e.type in ('RunDispatched', 'ResponseRecorded') and e.data->>'runId' = ${k('run_id')}`,
      ),
  },
  conflicts: {
    key: ['tenant_id', 'position'],
    ignore: [],
    scope: endpointRows,
    moved: (k, _sides, _events, w) => inWindow(k('position'), w),
  },
  planner_sessions: {
    key: ['tenant_id', 'session_id'],
    ignore: [],
    scope: endpointRows,
    moved: (k, _sides, _events, w) => inWindow(k('position'), w),
  },
} as const satisfies Record<string, TableSpec>;

export type ReplayedTable = keyof typeof REPLAYED_TABLES;
export const replayedTables = Object.keys(REPLAYED_TABLES) as ReplayedTable[];

/** Every table a shadow holds: the read models, and the projection's checkpoint and parked streams. */
export const shadowTables = [...replayedTables, 'processor_checkpoints', 'parked_streams'] as const;

export const specOf = (table: ReplayedTable): TableSpec => REPLAYED_TABLES[table];
