import {
  endpointDecider,
  foldWith,
  jobDecider,
  jobStream,
  parseEndpointStream,
  parseJobStream,
  tenantIdOf,
  type JobState,
  type Decider,
  type EventStore,
  type RecordedEvent,
} from '@orrery/domain';
import { noopInstrumentation, type Instrumentation } from '@orrery/telemetry';
import type { Transaction } from 'kysely';
import type { SchedulingDb } from '../db.js';
import type { SchedulingSchema } from '../read-model/schema.js';
import type { Processor, ProcessorContext } from '../processing/processor.js';
import { foldBatch } from './fold-batch.js';
import { foldJobs } from './fold-jobs.js';
import type { HoldsSource } from './holds-source.js';
import { reholdEndpoints, type HoldScope } from './job-holds.js';
import {
  foldTenantStatus,
  isTenantStatusEvent,
  loadTenantStatus,
  writeTenantStatus,
} from './tenant-holds.js';
import { plannerSessionsOf, writeConflicts, writePlannerSessions } from './planner-reads.js';
import { loadStates, writeBatch } from './write-batch.js';
import { loadJobStates, writeJobs } from './write-jobs.js';
import { ProjectionMetrics } from './projection-metrics.js';
import { schedulingWants } from './wants.js';

export { schedulingWants };

export interface SchedulingProjectionOptions {
  readonly db: SchedulingDb;
  readonly store: EventStore;
  /** Checkpoint and lease name. Default 'scheduling'. */
  readonly name?: string;
  /** Counts runs and proposals by outcome (docs/observability.md). Default: no-ops. */
  readonly instrumentation?: Instrumentation;
}

/**
 * Keeps the scheduling read models (schedule, runs, jobs, conflicts, planner sessions) as a fold
 * of the log: a processor (see ProcessorHost) whose batches and checkpoint commit in one
 * transaction, so after a crash it resumes exactly where it left off. Time comes from the
 * events, so a rebuild from position 0 gives the live state. Handling an event twice changes
 * nothing: states skip events at or below their version, runs are upserts, conflicts and
 * sessions are keyed by their event. Streams of other kinds are not wanted (skipped, never
 * parked).
 */
export class SchedulingProjection implements Processor {
  readonly name: string;
  readonly #metrics: ProjectionMetrics;

  constructor(private readonly options: SchedulingProjectionOptions) {
    this.name = options.name ?? 'scheduling';
    this.#metrics = new ProjectionMetrics((options.instrumentation ?? noopInstrumentation).meter);
  }

  readonly wants = schedulingWants;

  async handle(events: readonly RecordedEvent[], ctx: ProcessorContext): Promise<void> {
    const streams = (parse: (id: string) => unknown) => [
      ...new Set(events.map((e) => e.streamId).filter((id) => parse(id) !== null)),
    ];
    await this.options.db.transaction().execute(async (trx) => {
      const endpoints = await loadStates(trx, streams(parseEndpointStream));
      const jobs = await loadJobStates(trx, streams(parseJobStream));
      await this.#refold(endpointDecider, endpoints, events);
      await this.#refold(jobDecider, jobs, events);
      const batch = foldBatch(endpoints.states, events);
      const folded = foldJobs(jobs.states, events);
      // The jobs of the batch's endpoints that the batch did not touch, for their holds.
      const others = await loadJobStates(
        trx,
        [...batch.endpoints.values()]
          .filter(({ state }) => state.status !== 'unregistered')
          .map(({ state }) => jobStream(state.tenantId, state.jobId))
          .filter((id) => !folded.has(id)),
      );
      await this.#refold(jobDecider, others, events);
      // The tenants of the batch's endpoints and jobs (a job's endpoints are recomputed under
      // their tenant's status too), and those whose status the batch changes.
      const tenantIds = new Set([
        ...[...batch.endpoints.values()].map(({ state }) => state.tenantId),
        ...[...folded.keys()].map((id) => parseJobStream(id)?.tenantId ?? ''),
        ...events.flatMap((e) => (isTenantStatusEvent(e) ? [tenantIdOf(e.streamId) ?? ''] : [])),
      ]);
      const tenants = await loadTenantStatus(
        trx,
        [...tenantIds].filter((t) => t !== ''),
      );
      const changedTenants = foldTenantStatus(tenants, events);
      // A tenant's change recomputes every endpoint of it, each under its job: load them all.
      const tenantJobs = await this.#jobsOf(trx, changedTenants, events, (id) => !folded.has(id));
      for (const [id, state] of tenantJobs) others.states.set(id, state);
      const source: HoldsSource = {
        job: (tenantId, jobId): JobState | null => {
          const id = jobStream(tenantId, jobId);
          return folded.get(id)?.state ?? others.states.get(id) ?? null;
        },
        tenant: (tenantId) => tenants.get(tenantId) ?? null,
      };
      await writeJobs(trx, folded);
      await writeTenantStatus(trx, tenants, changedTenants);
      await writeBatch(trx, batch, source);
      await writeConflicts(trx, batch.conflicts);
      await writePlannerSessions(trx, plannerSessionsOf(events));
      const scopes: HoldScope[] = [
        ...[...changedTenants].map((tenantId) => ({ tenantId })),
        ...[...folded.values()]
          .filter(({ state }) => state.status !== 'unregistered')
          .filter(({ state }) => !changedTenants.has(state.tenantId))
          .map(({ state }) => ({ tenantId: state.tenantId, jobId: state.jobId })),
      ];
      await reholdEndpoints(trx, scopes, source, new Set(batch.endpoints.keys()));
      await ctx.fence(trx);
    });
    // Counted once the batch (and the checkpoint past it) has committed.
    this.#metrics.committed(events);
  }

  /** The states of the jobs of these tenants that `wanted` keeps (none: no query). */
  async #jobsOf(
    trx: Transaction<SchedulingSchema>,
    tenantIds: ReadonlySet<string>,
    batch: readonly RecordedEvent[],
    wanted: (streamId: string) => boolean,
  ): Promise<Map<string, JobState>> {
    if (tenantIds.size === 0) return new Map();
    const rows = await trx
      .selectFrom('jobs')
      .select(['tenant_id', 'job_id'])
      .where('tenant_id', 'in', [...tenantIds])
      .execute();
    const jobs = await loadJobStates(
      trx,
      rows.map((r) => jobStream(r.tenant_id, r.job_id)).filter(wanted),
    );
    await this.#refold(jobDecider, jobs, batch);
    return jobs.states;
  }

  /**
   * Folds again, from the log, the streams whose stored state has another schema version: up to
   * (not including) their first event in this batch, which the batch then applies.
   */
  async #refold<S extends { readonly version: number }>(
    decider: Decider<S, never>,
    loaded: { states: Map<string, S>; stale: readonly string[] },
    batch: readonly RecordedEvent[],
  ): Promise<void> {
    for (const streamId of loaded.stale) {
      const first = batch.find((e) => e.streamId === streamId)?.position ?? Infinity;
      const history = await this.options.store.readStream(streamId);
      loaded.states.set(
        streamId,
        foldWith(
          decider,
          history.filter((e) => e.position < first),
        ),
      );
    }
  }
}
