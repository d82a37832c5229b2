import type { RunOutcome } from '@orrery/domain';
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** One row per endpoint: its folded state and when it is next due, kept by the projection. */
export interface ScheduleTable {
  endpoint_id: string;
  tenant_id: string;
  job_id: string;
  /** Stream version of the folded state: the expected version of the next append. */
  stream_version: number;
  status: 'active' | 'archived';
  /** When the endpoint is next due (null: never, until something changes). */
  next_run_at: Timestamp | null;
  /** The slot `next_run_at` belongs to (without jitter): RunDispatched.scheduledFor. */
  slot_at: Timestamp | null;
  reason: string;
  /** The folded EndpointState (a snapshot at `stream_version`). */
  state: Json<unknown>;
  /** Schema version of `state` (ENDPOINT_STATE_VERSION when written). */
  state_version: number;
  /** A dispatcher's claim: other dispatchers leave the row alone until then. */
  claimed_until: Timestamp | null;
  in_flight_run_id: string | null;
  /** Earliest expiry of a live hint: when the projection must append HintExpired. */
  hint_expires_at: Timestamp | null;
  updated_position: number;
}

export type RunStatus = 'dispatched' | 'succeeded' | 'failed';

/** One row per run: the read model of RunDispatched and ResponseRecorded. */
export interface RunsTable {
  run_id: string;
  endpoint_id: string;
  tenant_id: string;
  job_id: string;
  scheduled_for: Timestamp;
  dispatched_at: Timestamp;
  attempt: number;
  reason: string;
  status: RunStatus;
  /** What became of the run (`runOutcome` of its response): `pending` until one is recorded. */
  outcome: ColumnType<RunOutcome, RunOutcome | undefined, RunOutcome>;
  /** Dispatch lateness: dispatched_at − scheduled_for (of the first attempt). */
  lateness_ms: number;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  duration_ms: number | null;
  http_status: number | null;
  error: string | null;
  dispatch_position: number;
  response_position: number | null;
  test: Generated<boolean>;
}

/** Where each projection has read the log up to; written in the same transaction as its rows. */
export interface ProjectionCheckpointsTable {
  name: string;
  position: number;
  updated_at: Timestamp;
}

/** One row per job: its folded JobState, for listing. */
export interface JobsTable {
  job_id: string;
  tenant_id: string;
  name: string;
  status: 'active' | 'archived';
  state: Json<unknown>;
  /** Schema version of `state` (JOB_STATE_VERSION when written). */
  state_version: number;
  stream_version: number;
  created_position: number;
}

export interface SchedulingSchema {
  jobs: JobsTable;
  schedule: ScheduleTable;
  runs: RunsTable;
  projection_checkpoints: ProjectionCheckpointsTable;
}

export type ScheduleRow = Selectable<ScheduleTable>;
export type NewScheduleRow = Insertable<ScheduleTable>;
export type RunRow = Selectable<RunsTable>;
