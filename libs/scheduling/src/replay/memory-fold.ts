import {
  parseEndpointStream,
  parseJobStream,
  tenantIdOf,
  type EndpointState,
  type JobState,
  type RecordedEvent,
} from '@orrery/domain';
import { foldBatch, type FoldedBatch, type FoldedEndpoint } from '../projection/fold-batch.js';
import type { Conflict } from '../projection/fold-conflicts.js';
import { foldJobs, type FoldedJob } from '../projection/fold-jobs.js';
import type { TenantStatus } from '../projection/holds-source.js';
import { plannerSessionsOf, type RecordedSession } from '../projection/planner-reads.js';
import { foldTenantStatus } from '../projection/tenant-holds.js';
import type { FoldResult } from './fold-writes.js';
import type { Ready } from './ready-rows.js';
import type { LogChunk } from './log-reader.js';

type StreamKind = 'endpoint' | 'job' | 'tenant' | 'planner';

/**
 * A run's row as the runs table holds it once its response is in. Instants are epoch
 * milliseconds, turned into timestamps by Postgres (on its own core; exact: a millisecond count
 * of 13 digits divided by 1000 is well within a double's precision at microseconds).
 */
export interface RunDoc {
  readonly run_id: string;
  readonly endpoint_id: string;
  readonly tenant_id: string;
  readonly job_id: string;
  readonly scheduled_for: number;
  dispatched_at: number;
  attempt: number;
  readonly reason: string;
  status: 'dispatched' | 'succeeded' | 'failed';
  outcome: string;
  readonly lateness_ms: number;
  readonly dispatch_position: number;
  readonly test: boolean;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  http_status: number | null;
  error: string | null;
  response_position: number | null;
}

/** Where a stream was set aside, and why. */
export interface ParkedAt {
  readonly streamId: string;
  readonly tenantId: string;
  readonly streamVersion: number;
  readonly position: number;
  readonly error: string;
}

const tenantOf = (streamId: string) =>
  parseEndpointStream(streamId)?.tenantId ??
  parseJobStream(streamId)?.tenantId ??
  tenantIdOf(streamId) ??
  '';
const KINDS: readonly StreamKind[] = ['endpoint', 'job', 'tenant', 'planner'];
/** The kind a stream id starts with (`endpoint-…`), without cutting a string per event. */
const kindOf = (streamId: string): StreamKind | 'other' =>
  KINDS.find((kind) => streamId.startsWith(kind) && streamId.charCodeAt(kind.length) === 45) ??
  'other';
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The scheduling projection's fold, held in memory from position 0: the projection's own pure
 * folds (`foldBatch`, `foldJobs`, `foldTenantStatus`, conflicts and planner sessions) over the
 * log, chunk after chunk, with every state kept here instead of loaded and written back per
 * batch. A run's row is written once, when its response is in; a schedule, job or tenant row once,
 * at the end, from the final states — the projection's rows are pure functions of those (the
 * holds and `as_of` rules of `holdsFor`), so the result equals the live read models.
 *
 * A stream whose event cannot be read or folded is parked at that event, as the live host parks
 * it, and its later events are skipped; the other streams go on. The writes are fold-writes.ts'.
 */
export class MemoryFold {
  readonly #endpoints = new Map<string, FoldedEndpoint>();
  readonly #endpointStates = new Map<string, EndpointState>();
  readonly #jobs = new Map<string, FoldedJob>();
  readonly #jobStates = new Map<string, JobState>();
  readonly #tenants = new Map<string, TenantStatus>();
  readonly #changedTenants = new Set<string>();
  /** Runs dispatched and not yet answered, by tenant and run id (the table's key). */
  readonly #open = new Map<string, RunDoc>();
  #answered: RunDoc[] = [];
  #conflicts: Conflict[] = [];
  #sessions: RecordedSession[] = [];
  readonly #parked = new Map<string, ParkedAt>();

  /** `wants`: the events the fold keeps (the projection's, of the replay's scope). */
  constructor(private readonly wants: (event: RecordedEvent) => boolean) {}

  /** The endpoints' states folded so far, by stream id. */
  get endpointStates(): ReadonlyMap<string, EndpointState> {
    return this.#endpointStates;
  }

  get parked(): readonly ParkedAt[] {
    return [...this.#parked.values()].sort((a, b) => a.position - b.position);
  }

  /** Folds a chunk of the log (in position order, after the chunks folded before). */
  apply(chunk: Pick<LogChunk, 'events' | 'unreadable'>): void {
    for (const { error, ...at } of chunk.unreadable) this.#park(at, error);
    const parked = this.#parked;
    const events = chunk.events.filter(
      (e) => (parked.size === 0 || !parked.has(e.streamId)) && this.wants(e),
    );
    if (events.length === 0) return;
    try {
      this.#fold(events);
    } catch {
      // Nothing of the chunk was kept (#fold merges only once every fold succeeded): fold it
      // again an event at a time, parking the streams whose event fails.
      for (const event of events) {
        if (this.#parked.has(event.streamId)) continue;
        try {
          this.#fold([event]);
        } catch (error) {
          this.#park(
            {
              streamId: event.streamId,
              tenantId: tenantOf(event.streamId),
              streamVersion: event.streamVersion,
              position: event.position,
            },
            message(error),
          );
        }
      }
    }
  }

  /** Rows ready to be written while the fold goes on (answered runs, conflicts, sessions). */
  takeReady(min: number): Ready | null {
    const size = this.#answered.length + this.#conflicts.length + this.#sessions.length;
    if (size < min || size === 0) return null;
    const ready = { runs: this.#answered, conflicts: this.#conflicts, sessions: this.#sessions };
    this.#answered = [];
    this.#conflicts = [];
    this.#sessions = [];
    return ready;
  }

  /**
   * What is left once the log is folded, as plain data (a worker thread hands it over as it is):
   * the final states, the runs still in flight, the rows not yet taken, the parked streams.
   * `writeFinal` writes it.
   */
  result(): FoldResult {
    return {
      endpoints: this.#endpoints,
      jobs: this.#jobs,
      tenants: this.#tenants,
      changedTenants: this.#changedTenants,
      open: [...this.#open.values()],
      rest: this.takeReady(0),
      parked: this.parked,
    };
  }

  /** Folds events and merges the results, or throws having merged nothing. */
  #fold(events: readonly RecordedEvent[]): void {
    // Each fold reads its own kind of stream: hand it only those (each checks them again).
    const byKind = { endpoint: [], job: [], tenant: [], planner: [], other: [] } as Record<
      StreamKind | 'other',
      RecordedEvent[]
    >;
    for (const event of events) byKind[kindOf(event.streamId)]?.push(event);
    const batch = foldBatch(this.#endpointStates, byKind.endpoint);
    const jobs = foldJobs(this.#jobStates, byKind.job);
    const sessions = plannerSessionsOf(byKind.planner);
    for (const [streamId, folded] of batch.endpoints) {
      this.#endpoints.set(streamId, folded);
      this.#endpointStates.set(streamId, folded.state);
    }
    for (const [streamId, folded] of jobs) {
      const createdPosition = this.#jobs.get(streamId)?.createdPosition ?? folded.createdPosition;
      this.#jobs.set(streamId, { state: folded.state, createdPosition });
      this.#jobStates.set(streamId, folded.state);
    }
    for (const tenantId of foldTenantStatus(this.#tenants, byKind.tenant)) {
      this.#changedTenants.add(tenantId);
    }
    this.#mergeRuns(batch);
    this.#conflicts.push(...batch.conflicts);
    this.#sessions.push(...sessions);
  }

  /**
   * The runs table as the projection's upserts leave it: a re-dispatch keeps the first attempt's
   * slot, reason, lateness and position and takes the attempt and time of the last; the first
   * response of a dispatched run completes its row; a test run gets its row with its response.
   */
  #mergeRuns(batch: FoldedBatch): void {
    const stateOf = (streamId: string) => batch.endpoints.get(streamId)?.state;
    for (const run of batch.dispatched) {
      const state = stateOf(run.streamId);
      const tenantId = state?.tenantId ?? '';
      const key = `${tenantId}\n${run.runId}`;
      const open = this.#open.get(key);
      if (open) {
        open.attempt = run.attempt;
        open.dispatched_at = run.dispatchedAt;
        continue;
      }
      this.#open.set(key, {
        run_id: run.runId,
        endpoint_id: run.endpointId,
        tenant_id: tenantId,
        job_id: state?.jobId ?? '',
        scheduled_for: run.scheduledFor,
        dispatched_at: run.dispatchedAt,
        attempt: run.attempt,
        reason: run.reason,
        status: 'dispatched',
        outcome: 'pending',
        lateness_ms: Math.max(0, Math.round(run.dispatchedAt - run.scheduledFor)),
        dispatch_position: run.position,
        test: false,
        started_at: null,
        finished_at: null,
        duration_ms: null,
        http_status: null,
        error: null,
        response_position: null,
      });
    }
    for (const run of batch.recorded) {
      const state = stateOf(run.streamId);
      const tenantId = state?.tenantId ?? parseEndpointStream(run.streamId)?.tenantId ?? '';
      const key = `${tenantId}\n${run.runId}`;
      if (run.test && !this.#open.has(key)) {
        this.#open.set(key, {
          run_id: run.runId,
          endpoint_id: run.endpointId,
          tenant_id: tenantId,
          job_id: state?.jobId ?? '',
          scheduled_for: run.startedAt,
          dispatched_at: run.startedAt,
          attempt: 1,
          reason: 'test',
          status: 'dispatched',
          outcome: 'pending',
          lateness_ms: 0,
          dispatch_position: run.position,
          test: true,
          started_at: null,
          finished_at: null,
          duration_ms: null,
          http_status: null,
          error: null,
          response_position: null,
        });
      }
      const open = this.#open.get(key);
      if (!open) continue; // a response to no dispatched run: the projection's update finds no row
      open.status = run.ok ? 'succeeded' : 'failed';
      open.outcome = run.outcome;
      open.started_at = run.startedAt;
      open.finished_at = run.finishedAt;
      open.duration_ms = run.durationMs;
      open.http_status = run.status;
      open.error = run.error;
      open.response_position = run.position;
      this.#open.delete(key);
      this.#answered.push(open);
    }
  }

  #park(at: Omit<ParkedAt, 'error'>, error: string): void {
    if (!this.#parked.has(at.streamId)) this.#parked.set(at.streamId, { ...at, error });
  }
}
