/** The replay phase's figures, and where the rebuild's time went. */
import type { GenerateResult } from './generate.js';
import type { ReadBaselines } from './read-baseline.js';
import type { RebuildFigures } from './rebuild.js';
import type { ReplayPassFigures } from './replay-pass.js';

/** The goal for rebuilding the read models from the log. Printed, never enforced. */
export const REPLAY_GOAL_EVENTS_PER_SECOND = 100_000;

/** One share of the rebuild's wall time. */
export interface Stage {
  readonly stage: string;
  readonly ms: number;
  /** Of the rebuild's wall time. */
  readonly share: number;
  readonly usPerEvent: number;
  /** Where the figure comes from. */
  readonly source: string;
}

/** The read models after the rebuild, against the log. */
export interface ReplayChecks {
  readonly scheduleRows: number;
  readonly endpoints: number;
  readonly runRows: number;
  /** Distinct (stream, runId) of RunDispatched, and test responses. */
  readonly runsInLog: number;
  readonly conflictRows: number;
  readonly hintRejected: number;
  readonly parkedStreams: number;
  readonly ok: boolean;
}

/** Server settings that move the figures (autovacuum off leaves every rewritten row dead). */
export interface ServerSettings {
  readonly autovacuum: string;
  readonly sharedBuffers: string;
  readonly synchronousCommit: string;
  readonly workMem: string;
}

export interface ReplayResult {
  readonly server: ServerSettings;
  readonly generated: GenerateResult;
  readonly baselines: ReadBaselines;
  /** `replay --swap` from position 0 (trusted reads): the headline. */
  readonly replay: ReplayPassFigures;
  /** `replay --verify`, compared with the first pass's rows. */
  readonly verify: ReplayPassFigures;
  /** The same replay folded on the caller's thread (`workers: 0`): what the threads buy. */
  readonly oneThread: ReplayPassFigures;
  /** The live projection (a ProcessorHost) catching up from 0 over the log's first events. */
  readonly projection: RebuildFigures;
  /** Where the replay's time went. */
  readonly breakdown: readonly Stage[];
  /** Where the projection's catch-up time went (same stages as before the replay had its own fold). */
  readonly projectionBreakdown: readonly Stage[];
  /** Replay events/s over the baselines' and the projection's (same log, same run). */
  readonly ratio: {
    readonly toReplayRead: number;
    readonly toReadAll: number;
    readonly toRawRows: number;
    readonly toProjection: number;
    /** The headline over the same replay on the caller's thread. */
    readonly toOneThread: number;
  };
  readonly checks: ReplayChecks;
  readonly goal: { readonly eventsPerSecond: number; readonly met: boolean };
}

/**
 * Splits the replay's wall time by its own report's stages (folded in threads: those of the
 * thread that took longest).
 */
export function replayBreakdownOf(pass: ReplayPassFigures): Stage[] {
  const wall = pass.seconds * 1000;
  const events = Math.max(pass.events, 1);
  const stage = (name: string, ms: number, source: string): Stage => ({
    stage: name,
    ms,
    share: ms / wall,
    usPerEvent: (ms * 1000) / events,
    source,
  });
  const t = pass.timings;
  return [
    ...(t.startMs === undefined
      ? []
      : [stage('starting the fold threads (loading code)', t.startMs, 'replay timings: startMs')]),
    stage('waiting for the log (Postgres: scan, JSON)', t.readMs, 'replay timings: readMs'),
    stage('decoding chunks (JSON.parse, events)', t.decodeMs, 'replay timings: decodeMs'),
    stage("folding (the projection's folds)", t.foldMs, 'replay timings: foldMs'),
    stage('waiting for rows to be written', t.writeWaitMs, 'replay timings: writeWaitMs'),
    stage('final writes (schedule, jobs, runs in flight)', t.finishMs, 'replay timings: finishMs'),
  ];
}

/** Statements run outside the batches' transactions (lease renewals run on a timer). */
const OUTSIDE = new Set(['lease (take, renew, fence)', 'parked streams']);

/**
 * Splits the rebuild's wall time: reading (the store's read meter; its decoding estimated from
 * the baseline's decode pass, per event), the read models' SQL by statement (inside the batches'
 * transactions, the checkpoint among them), the projection's own work (the batch meter less
 * those statements: folding, schedule views, holds, building rows), and the host (the rest:
 * taking the lease, choosing the wanted events, recording the meters).
 */
export function projectionBreakdownOf(rebuild: RebuildFigures, baselines: ReadBaselines): Stage[] {
  const wall = rebuild.seconds * 1000;
  const events = Math.max(rebuild.events, 1);
  const stage = (name: string, ms: number, source: string): Stage => ({
    stage: name,
    ms,
    share: ms / wall,
    usPerEvent: (ms * 1000) / events,
    source,
  });
  const decodeMs =
    (baselines.decode.seconds * 1000 * rebuild.events) / Math.max(baselines.decode.events, 1);
  const inside = rebuild.statements.filter((s) => !OUTSIDE.has(s.kind));
  const sqlMs = inside.reduce((sum, s) => sum + s.ms, 0);
  const stages = [
    stage('read the log: SQL, driver, JSON', rebuild.read.ms - decodeMs, 'read meter − decoding'),
    stage('read the log: decoding (catalogue, zod)', decodeMs, 'baseline decode pass, per event'),
    ...inside.map((s) =>
      stage(`read models SQL: ${s.kind}`, s.ms, `Kysely log, ${s.count} statements`),
    ),
    stage(
      'projection: fold, schedules, holds, rows',
      rebuild.batches.ms - sqlMs,
      'batch meter − its SQL',
    ),
    stage(
      'host: between batches',
      wall - rebuild.read.ms - rebuild.batches.ms,
      'wall − read − batches',
    ),
  ];
  return stages;
}
