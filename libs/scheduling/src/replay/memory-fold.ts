import {
  initialState,
  parseEndpointStream,
  parseJobStream,
  tenantIdOf,
  type EndpointState,
  type EntityRef,
  type JobState,
  type RecordedEvent,
} from '@orrery/domain';
import {
  foldedEndpoint,
  foldEndpointEvent,
  type DispatchedRun,
  type EndpointRecords,
  type FoldedEndpoint,
  type RecordedRun,
} from '../projection/fold-batch.js';
import type { Conflict } from '../projection/fold-conflicts.js';
import { foldJobs, type FoldedJob } from '../projection/fold-jobs.js';
import type { TenantStatus } from '../projection/holds-source.js';
import { plannerSessionsOf, type RecordedSession } from '../projection/planner-reads.js';
import { foldTenantStatus } from '../projection/tenant-holds.js';
import type { FoldResult } from './fold-writes.js';
import type { Ready } from './ready-rows.js';
import type { LogChunk } from './log-reader.js';

type StreamKind = 'endpoint' | 'job' | 'tenant' | 'planner';
type OtherKind = Exclude<StreamKind, 'endpoint'>;

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
function kindOf(streamId: string): StreamKind | 'other' {
  for (const kind of KINDS) {
    if (streamId.startsWith(kind) && streamId.charCodeAt(kind.length) === 45) return kind;
  }
  return 'other';
}
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The scheduling projection's fold, held in memory from position 0: the projection's own pure
 * folds (`foldEndpointEvent`, the step of its `foldBatch`; `foldJobs`, `foldTenantStatus`,
 * conflicts and planner sessions) over the log, chunk after chunk, with every state kept here
 * instead of loaded and written back per batch. A run's row is written once, when its response
 * is in; a schedule, job or tenant row once, at the end, from the final states — the projection's rows are pure functions of those (the
 * holds and `as_of` rules of `holdsFor`), so the result equals the live read models.
 *
 * A stream whose event cannot be read or folded is parked at that event, as the live host parks
 * it, and its later events are skipped; the other streams go on. The writes are fold-writes.ts'.
 */
export class MemoryFold {
  readonly #endpoints = new Map<string, EndpointStream>();
  /** What the endpoint event being folded records; emptied before each one. */
  readonly #records: EndpointRecords = { dispatched: [], recorded: [], conflicts: [] };
  readonly #jobs = new Map<string, FoldedJob>();
  readonly #jobStates = new Map<string, JobState>();
  readonly #tenants = new Map<string, TenantStatus>();
  readonly #changedTenants = new Set<string>();
  /** Runs dispatched and not yet answered, by tenant, then run id (the table's key). */
  readonly #open = new Map<string, Map<string, RunDoc>>();
  #answered: RunDoc[] = [];
  #conflicts: Conflict[] = [];
  #sessions: RecordedSession[] = [];
  readonly #parked = new Map<string, ParkedAt>();

  /** `wants`: the events the fold keeps (the projection's, of the replay's scope). */
  constructor(private readonly wants: (event: RecordedEvent) => boolean) {}

  /** The endpoints' states folded so far, by stream id. */
  get endpointStates(): ReadonlyMap<string, EndpointState> {
    return new Map([...this.#endpoints].map(([streamId, { state }]) => [streamId, state]));
  }

  get parked(): readonly ParkedAt[] {
    return [...this.#parked.values()].sort((a, b) => a.position - b.position);
  }

  /**
   * Folds a chunk of the log (in position order, after the chunks folded before). Endpoint
   * events, nearly all of the log, are folded one at a time straight into the endpoints' states;
   * the other streams' events of the chunk are folded together after them (each kind of stream
   * has its own states, so the order between kinds does not matter).
   */
  apply(chunk: Pick<LogChunk, 'events' | 'unreadable'>): void {
    for (const { error, ...at } of chunk.unreadable) this.#park(at, error);
    const parked = this.#parked;
    const others: RecordedEvent[] = [];
    for (const event of chunk.events) {
      if ((parked.size > 0 && parked.has(event.streamId)) || !this.wants(event)) continue;
      const kind = kindOf(event.streamId);
      if (kind === 'endpoint') this.#foldEndpoint(event);
      else if (kind !== 'other') others.push(event);
    }
    if (others.length === 0) return;
    try {
      this.#foldOthers(others);
    } catch {
      // Nothing of them was kept (#foldOthers merges only once every fold succeeded): fold them
      // again an event at a time, parking the streams whose event fails.
      for (const event of others) {
        if (this.#parked.has(event.streamId)) continue;
        try {
          this.#foldOthers([event]);
        } catch (error) {
          this.#parkAt(event, error);
        }
      }
    }
  }

  /** Folds an endpoint event and merges what it records, or parks its stream at it. */
  #foldEndpoint(event: RecordedEvent): void {
    const known = this.#endpoints.get(event.streamId);
    let stream = known;
    if (!stream) {
      const ref = parseEndpointStream(event.streamId);
      if (ref === null) return; // not an endpoint's stream after all: the projection skips it
      stream = { ref, state: initialState(), recordedAt: '', position: 0 };
    }
    const records = this.#records;
    records.dispatched.length = records.recorded.length = records.conflicts.length = 0;
    let state: EndpointState | null;
    try {
      state = foldEndpointEvent(stream.state, event, stream.ref, records);
    } catch (error) {
      this.#parkAt(event, error);
      return;
    }
    if (state === null) return; // folded already
    stream.state = state;
    stream.recordedAt = event.recordedAt;
    stream.position = event.position;
    if (!known) this.#endpoints.set(event.streamId, stream);
    const [dispatched] = records.dispatched;
    if (dispatched) this.#dispatched(dispatched, state);
    const [recorded] = records.recorded;
    if (recorded) this.#recorded(recorded, state);
    if (records.conflicts.length > 0) this.#conflicts.push(...records.conflicts);
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
    const endpoints = new Map<string, FoldedEndpoint>();
    for (const [streamId, stream] of this.#endpoints) {
      if (stream.position > 0) endpoints.set(streamId, foldedEndpoint(stream.state, stream));
    }
    return {
      endpoints,
      jobs: this.#jobs,
      tenants: this.#tenants,
      changedTenants: this.#changedTenants,
      open: [...this.#open.values()].flatMap((runs) => [...runs.values()]),
      rest: this.takeReady(0),
      parked: this.parked,
    };
  }

  /** Folds job, tenant and planner events and merges them, or throws having merged nothing. */
  #foldOthers(events: readonly RecordedEvent[]): void {
    const byKind: Record<OtherKind, RecordedEvent[]> = { job: [], tenant: [], planner: [] };
    for (const event of events) byKind[kindOf(event.streamId) as OtherKind].push(event);
    const jobs = foldJobs(this.#jobStates, byKind.job);
    const sessions = plannerSessionsOf(byKind.planner);
    for (const [streamId, folded] of jobs) {
      const createdPosition = this.#jobs.get(streamId)?.createdPosition ?? folded.createdPosition;
      this.#jobs.set(streamId, { state: folded.state, createdPosition });
      this.#jobStates.set(streamId, folded.state);
    }
    for (const tenantId of foldTenantStatus(this.#tenants, byKind.tenant)) {
      this.#changedTenants.add(tenantId);
    }
    this.#sessions.push(...sessions);
  }

  /**
   * The runs table as the projection's upserts leave it: a re-dispatch keeps the first attempt's
   * slot, reason, lateness and position and takes the attempt and time of the last; the first
   * response of a dispatched run completes its row; a test run gets its row with its response.
   * `state` is the endpoint's, the event folded.
   */
  #dispatched(run: DispatchedRun, state: EndpointState): void {
    const open = this.#openOf(state.tenantId);
    const known = open.get(run.runId);
    if (known) {
      known.attempt = run.attempt;
      known.dispatched_at = run.dispatchedAt;
      return;
    }
    open.set(run.runId, {
      run_id: run.runId,
      endpoint_id: run.endpointId,
      tenant_id: state.tenantId,
      job_id: state.jobId,
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

  #recorded(run: RecordedRun, state: EndpointState): void {
    const open = this.#openOf(state.tenantId);
    let doc = open.get(run.runId);
    if (!doc && run.test) {
      doc = {
        run_id: run.runId,
        endpoint_id: run.endpointId,
        tenant_id: state.tenantId,
        job_id: state.jobId,
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
      };
    }
    if (!doc) return; // a response to no dispatched run: the projection's update finds no row
    doc.status = run.ok ? 'succeeded' : 'failed';
    doc.outcome = run.outcome;
    doc.started_at = run.startedAt;
    doc.finished_at = run.finishedAt;
    doc.duration_ms = run.durationMs;
    doc.http_status = run.status;
    doc.error = run.error;
    doc.response_position = run.position;
    open.delete(run.runId);
    this.#answered.push(doc);
  }

  /** A tenant's runs in flight. */
  #openOf(tenantId: string): Map<string, RunDoc> {
    let open = this.#open.get(tenantId);
    if (!open) this.#open.set(tenantId, (open = new Map()));
    return open;
  }

  #parkAt(event: RecordedEvent, error: unknown): void {
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

  #park(at: Omit<ParkedAt, 'error'>, error: string): void {
    if (!this.#parked.has(at.streamId)) this.#parked.set(at.streamId, { ...at, error });
  }
}

/**
 * An endpoint's stream as the fold holds it: its state, and when and where the last event folded
 * into it was recorded (0: none yet) — what its schedule row's `as_of` and position are made of.
 * Not the event itself: every endpoint's latest event would then live as long as its state, and
 * each scavenge of a fold thread copied them (its data, its strings) with the states.
 */
interface EndpointStream {
  readonly ref: EntityRef;
  state: EndpointState;
  recordedAt: string;
  position: number;
}
