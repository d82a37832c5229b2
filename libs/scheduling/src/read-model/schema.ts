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
  /** Earliest expiry of a live hint. */
  hint_expires_at: Timestamp | null;
  updated_position: number;
  /** The job's hold the row was computed under (Holds). */
  holds: Json<unknown>;
  /** The job stream's version then: a dispatch is appended only if it still is. */
  job_version: number;
  /** When the endpoint's own last event was recorded. */
  as_of: Timestamp;
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
  /**
   * Dispatch lateness: dispatched_at − scheduled_for (of the first attempt), 0 for a run
   * dispatched ahead of its slot. The call's own lateness is started_at − scheduled_for.
   */
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

/**
 * Where each processor (the projection among them) has read the log up to, and who may move
 * it: the host holding `token` until `lease_until` (database time).
 */
export interface ProcessorCheckpointsTable {
  name: string;
  position: number;
  updated_at: Timestamp;
  owner: string | null;
  token: string | null;
  lease_until: Timestamp | null;
}

/** Streams a processor set aside because it could not handle their events. */
export interface ParkedStreamsTable {
  processor: string;
  stream_id: string;
  tenant_id: string;
  /** The first event not handled (its version and position). */
  stream_version: number;
  position: number;
  error: string;
  attempts: number;
  parked_at: Timestamp;
  retry_at: Timestamp;
}

/** Live hints the hint-expiry processor waits on. */
export interface HintExpiriesTable {
  stream_id: string;
  hint_id: string;
  tenant_id: string;
  slot: 'interval' | 'oneShot';
  expires_at: Timestamp;
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
  /** The job's PlannerSettings (JSON); null means the defaults. */
  planner: ColumnType<unknown, string | null | undefined, string | null>;
}

/** One row per HintRejected: a refused proposal, the rule, and what it met. */
export interface ConflictsTable {
  tenant_id: string;
  /** The HintRejected's log position (the key, with the tenant). */
  position: number;
  /** The target endpoint and its job. */
  endpoint_id: string;
  job_id: string;
  proposal_id: string;
  kind: 'interval' | 'oneShot' | 'pause' | 'clear' | null;
  slot: 'interval' | 'oneShot' | null;
  source: 'user' | 'cascade' | 'agent' | 'planner';
  source_id: string;
  from_endpoint_id: string | null;
  rule: string;
  detail: string;
  based_on_position: number | null;
  /** The live decision that won (HintRejected.winner). */
  winner: Json<unknown> | null;
  cooldown_until: Timestamp | null;
  /** What was asked (HintRejected.requested). */
  requested: Json<unknown> | null;
  /** The target's state just before the refusal (StateMet). */
  state_met: Json<unknown>;
  recorded_at: Timestamp;
}

/** One row per PlannerSessionRecorded: a summary, and the whole record in `data`. */
export interface PlannerSessionsTable {
  tenant_id: string;
  session_id: string;
  /** The analysed endpoint and its job. */
  endpoint_id: string;
  job_id: string;
  planner: 'heuristic' | 'claude';
  model: string | null;
  outcome: 'completed' | 'failed' | 'step_limit' | 'refused';
  position: number;
  started_at: Timestamp;
  duration_ms: number;
  /** Proposals made, and how many the arbiter accepted and refused. */
  proposals: number;
  accepted: number;
  rejected: number;
  input_tokens: number;
  output_tokens: number;
  /** The PlannerSessionData. */
  data: Json<unknown>;
  recorded_at: Timestamp;
}

/** Each tenant's status as scheduling sees it: a disabled tenant's endpoints never run. */
export interface TenantHoldsTable {
  tenant_id: string;
  /** Why and by whom it is disabled (TenantHold['disabled']); null while enabled. */
  disabled: Json<unknown> | null;
  /** When its last TenantDisabled / TenantEnabled was recorded. */
  changed_at: Timestamp;
}

export interface SchedulingSchema {
  tenant_holds: TenantHoldsTable;
  jobs: JobsTable;
  schedule: ScheduleTable;
  runs: RunsTable;
  processor_checkpoints: ProcessorCheckpointsTable;
  parked_streams: ParkedStreamsTable;
  hint_expiries: HintExpiriesTable;
  conflicts: ConflictsTable;
  planner_sessions: PlannerSessionsTable;
}

export type ScheduleRow = Selectable<ScheduleTable>;
export type NewScheduleRow = Insertable<ScheduleTable>;
export type RunRow = Selectable<RunsTable>;
export type ConflictRow = Selectable<ConflictsTable>;
export type PlannerSessionRow = Selectable<PlannerSessionsTable>;
