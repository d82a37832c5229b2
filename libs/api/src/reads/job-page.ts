import { defaultPlannerSettings, type JobState, type PlannerSettings } from '@orrery/domain';
import type { ApiDeps } from '../deps.js';

/** A job of a page: its state as the read model holds it, and where it sorts. */
export interface JobPageRow {
  readonly state: JobState;
  /** The log position of its `JobCreated`: the page's order and cursor. */
  readonly position: number;
}

/** The read model's columns, `state` without its planner settings (`planner` holds them). */
interface Row {
  readonly state: Omit<JobState, 'planner'>;
  readonly created_position: number;
  readonly planner: PlannerSettings | null;
}

const DEFAULTS = JSON.stringify(defaultPlannerSettings);

/**
 * The statement: $1 tenant, $2 the cursor's position (-1 for the first page: positions are
 * positive, so the index bounds every page alike), $3 the status or null for any, $4 the limit,
 * $5 the default planner settings.
 *
 * Most of a page's cost, in Postgres and here, is turning jsonb into text and back, and the planner
 * settings were most of that: every row sent them twice (in `state` and in `planner`, the one the
 * API shows) though nearly every job keeps the defaults. `state - 'planner'` drops the copy, and
 * settings equal to the defaults (compared as jsonb: key order does not matter) come as null,
 * which reads as the defaults, as a row written before jobs had settings always did.
 *
 * Measured on a page of 50: the statement alone (pg client, prepared, 4 in flight) took 270–450 µs
 * of this process's CPU with both copies of the settings, 130 without; `scripts/bench/api/cost.ts`
 * (`GET /v1/jobs`, 2 loaded cores, the old route alternated with this one): 1000–1070 → 850–900 µs
 * of this process's CPU and 370–420 → 235–245 µs of Postgres's per request. The rest of a page is
 * mostly checking and serialising the answer.
 */
const STATEMENT = `select state - 'planner' as state, created_position,
    nullif(planner, $5::jsonb) as planner
  from jobs
  where tenant_id = $1 and created_position > $2 and ($3::text is null or status = $3)
  order by created_position
  limit $4`;

/**
 * The tenant's jobs in creation order after the cursor's position, `limit` of them at most, from
 * the read model (a named prepared statement, as `readStreamHead`: planned once per connection).
 */
export async function readJobPage(
  pool: ApiDeps['pool'],
  tenantId: string,
  page: { after: number | undefined; status: 'active' | 'archived' | undefined; limit: number },
): Promise<JobPageRow[]> {
  const { rows } = await pool.query<Row>({
    name: 'orrery-api-job-page',
    text: STATEMENT,
    values: [tenantId, page.after ?? -1, page.status ?? null, page.limit, DEFAULTS],
  });
  return rows.map((row) => ({
    state: { ...row.state, planner: row.planner ?? defaultPlannerSettings },
    position: row.created_position,
  }));
}
