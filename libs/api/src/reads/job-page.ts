import { defaultPlannerSettings, type JobState, type PlannerSettings } from '@orrery/domain';
import type { ApiDeps } from '../deps.js';

/** What a job's view shows of its state (see `jobView`). */
export type ShownJobState = Pick<
  JobState,
  'jobId' | 'name' | 'description' | 'status' | 'pause' | 'createdAt' | 'planner'
>;

/** A job of a page: what its view shows of its state, and where it sorts. */
export interface JobPageRow {
  readonly state: ShownJobState;
  /** The log position of its `JobCreated`: the page's order and cursor. */
  readonly position: number;
}

/** The statement's columns: the fields a view shows, each its own column. */
interface Row {
  readonly job_id: string;
  readonly name: string;
  readonly description: string;
  readonly status: JobState['status'];
  readonly pause: JobState['pause'];
  readonly created_at: number;
  readonly created_position: number;
  readonly planner: PlannerSettings | null;
}

const DEFAULTS = JSON.stringify(defaultPlannerSettings);

/**
 * The statement: $1 tenant, $2 the cursor's position (-1 for the first page: positions are
 * positive, so the index bounds every page alike), $3 the status or null for any, $4 the limit,
 * $5 the default planner settings.
 *
 * Most of a page's cost, in Postgres and here, was turning jsonb into text and back into objects.
 * So each field the view shows comes as a column of its own — text and a number, parsed by
 * nothing — and only the pause (null unless the job is paused) and the planner settings as JSON.
 * Settings equal to the defaults (compared as jsonb: key order does not matter) come as null,
 * which reads as the defaults, as a row written before jobs had settings always did: nearly every
 * job keeps them, and every row sent them twice before (in `state` and in `planner`).
 *
 * Measured on a page of 50 (`scripts/bench/api/cost.ts`, `GET /v1/jobs`, this process's CPU per
 * request): with both copies of the settings 1000–1070 µs, then 850–900 with `state - 'planner'`
 * parsed whole (an earlier machine); on a later one, alternated three times, 1150–1190 µs whole
 * against 955–995 µs with the columns, and Postgres's 208–228 against 185–200 µs.
 */
const STATEMENT = `select state->>'jobId' as job_id, state->>'name' as name,
    state->>'description' as description, state->>'status' as status,
    state->'pause' as pause,
    (state->>'createdAt')::float8 as created_at, created_position,
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
    state: {
      jobId: row.job_id,
      name: row.name,
      description: row.description,
      status: row.status,
      pause: row.pause,
      createdAt: row.created_at,
      planner: row.planner ?? defaultPlannerSettings,
    },
    position: row.created_position,
  }));
}
