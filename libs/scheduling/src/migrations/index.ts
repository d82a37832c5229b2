import type { Migration } from 'kysely';
import { schedulingTables } from './0100-scheduling.js';
import { jobsTable } from './0101-jobs.js';
import { claimableIndex } from './0102-claimable-index.js';
import { serviceGrants } from './0103-service-grants.js';
import { tenantScopedIds } from './0104-tenant-scoped-ids.js';
import { runOutcomes } from './0105-run-outcomes.js';
import { processors } from './0106-processors.js';
import { jobHolds } from './0107-job-holds.js';
import { tenantHolds } from './0108-tenant-holds.js';
import { cascades } from './0109-cascades.js';
import { plannerReads } from './0110-planner-reads.js';
import { planner } from './0111-planner.js';

/** The scheduling read models' migrations, run with the event store's (see migrateDatabase). */
export const schedulingMigrations: Readonly<Record<string, Migration>> = {
  '0100_scheduling': schedulingTables,
  '0101_jobs': jobsTable,
  '0102_claimable_index': claimableIndex,
  '0103_service_grants': serviceGrants,
  '0104_tenant_scoped_ids': tenantScopedIds,
  '0105_run_outcomes': runOutcomes,
  '0106_processors': processors,
  '0107_job_holds': jobHolds,
  '0108_tenant_holds': tenantHolds,
  '0109_cascades': cascades,
  '0110_planner_reads': plannerReads,
  '0111_planner': planner,
};
