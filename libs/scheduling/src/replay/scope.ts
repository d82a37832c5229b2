import { sql } from 'kysely';
import type { SchedulingDb } from '../db.js';
import { scopeStreams } from './source.js';
import { UNSCOPED, type ResolvedScope } from './tables.js';

/** What a filtered replay is about. Ids are unique per tenant: without a tenant, every match. */
export interface ReplayScope {
  readonly tenantId?: string;
  readonly jobId?: string;
  readonly endpointId?: string;
}

/** A replay that cannot be done as asked: nothing to replay for the scope, or a swap refused. */
export class ReplayRefusedError extends Error {
  override readonly name = 'ReplayRefusedError';
  constructor(
    readonly reason: 'not_found' | 'invalid' | 'running',
    message: string,
  ) {
    super(message);
  }
}

const isScoped = (scope: ReplayScope) =>
  scope.tenantId !== undefined || scope.jobId !== undefined || scope.endpointId !== undefined;

const describe = (scope: ReplayScope) =>
  [
    scope.endpointId && `endpoint ${scope.endpointId}`,
    scope.jobId && `job ${scope.jobId}`,
    scope.tenantId && `tenant ${scope.tenantId}`,
  ]
    .filter(Boolean)
    .join(' of ');

const distinct = <T>(items: readonly T[], key: (item: T) => string): T[] => [
  ...new Map(items.map((item) => [key(item), item])).values(),
];

/** A scope found in the log; `streams`: what its rows are folded from (null: scan the log). */
export interface FoundScope {
  readonly scope: ResolvedScope;
  readonly streams: readonly string[] | null;
}

/**
 * Finds the scope's tenants, jobs and endpoints in the log (their registrations: the `type` index
 * leads there). An endpoint or a job is replayed from its streams alone; a tenant from the log,
 * its events kept.
 * @throws ReplayRefusedError (`not_found`) when the log holds nothing of the scope.
 */
export async function resolveScope(live: SchedulingDb, scope: ReplayScope): Promise<FoundScope> {
  if (!isScoped(scope)) return { scope: UNSCOPED, streams: null };
  const tenant = scope.tenantId ?? null;
  const job = scope.jobId ?? null;
  if (scope.endpointId === undefined && job === null) {
    const { rows } = await sql<{ found: boolean }>`
      select exists (select 1 from events where tenant_id = ${tenant}) as found`.execute(live);
    if (!rows[0]?.found) return notFound(scope);
    return { scope: { tenants: [tenant ?? ''], jobs: null, endpoints: null }, streams: null };
  }
  // Endpoints may name a job no JobCreated made (its stream is then empty): they count too.
  const { rows } = await sql<{ tenant_id: string; job_id: string; endpoint_id: string | null }>`
    select distinct tenant_id, data->>'jobId' as job_id,
      case when type = 'EndpointRegistered' then data->>'endpointId' end as endpoint_id
    from events
    where type in ('EndpointRegistered', 'JobCreated')
      and (${scope.endpointId ?? null}::text is null
        or (type = 'EndpointRegistered' and data->>'endpointId' = ${scope.endpointId ?? null}))
      and (${job}::text is null or data->>'jobId' = ${job})
      and (${tenant}::text is null or tenant_id = ${tenant})`.execute(live);
  if (rows.length === 0) return notFound(scope);
  const endpoints = distinct(
    rows.flatMap((r) =>
      r.endpoint_id === null ? [] : [{ tenantId: r.tenant_id, endpointId: r.endpoint_id }],
    ),
    (e) => `${e.tenantId}.${e.endpointId}`,
  );
  const resolved: ResolvedScope = {
    tenants: [...new Set(rows.map((r) => r.tenant_id))],
    jobs: distinct(
      rows.map((r) => ({ tenantId: r.tenant_id, jobId: r.job_id })),
      (j) => `${j.tenantId}.${j.jobId}`,
    ),
    // A job's rows are kept by job: its endpoints are only there to be read.
    endpoints: scope.endpointId === undefined ? null : endpoints,
  };
  return { scope: resolved, streams: scopeStreams({ ...resolved, endpoints }) };
}

function notFound(scope: ReplayScope): never {
  throw new ReplayRefusedError('not_found', `the log holds no ${describe(scope)}`);
}
