import type { SchedulingDb, SchedulingSchema } from '@orrery/scheduling';
import type { Kysely } from 'kysely';

type Timestamp = Date;

/** Endpoints with responses not analysed yet (migration 0111). */
export type PlannerQueueTable = {
  tenant_id: string;
  endpoint_id: string;
  due_at: Timestamp;
  run_id: string;
  position: number;
};

/** Sessions, tokens and extra runs per tenant scope and one-minute bucket (migration 0111). */
export type PlannerUsageTable = {
  tenant_id: string;
  /** `tenant` (sessions, tokens) or `job:<jobId>` (extra runs). */
  scope: string;
  window_start: Timestamp;
  sessions: number;
  tokens: number;
  extra_runs: number;
};

export type PlannerTables = {
  planner_queue: PlannerQueueTable;
  planner_usage: PlannerUsageTable;
};

export type PlannerDb = Kysely<SchedulingSchema & PlannerTables>;

/** The scheduling database with the planner's own tables. */
export const plannerDb = (db: SchedulingDb): PlannerDb => db.withTables<PlannerTables>();
