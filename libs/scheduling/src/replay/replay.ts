import type { EventStore } from '@orrery/domain';
import { sql } from 'kysely';
import pino, { type Logger } from 'pino';
import { createSchedulingDb } from '../db.js';
import { availableParallelism } from 'node:os';
import { compareTables, type Difference, type TableComparison } from './compare.js';
import { foldInWorkers, prepareFoldThreads } from './fold-in-workers.js';
import {
  foldInto,
  type ReplayParked,
  type ReplayProgress,
  type ReplayTimings,
} from './fold-into.js';
import { ReplayRefusedError, resolveScope, type ReplayScope } from './scope.js';
import { createShadow, leftoverShadows, type Shadow, type ShadowKind } from './shadow.js';
import { boundOf, logSource, streamSource } from './source.js';
import { assertNotRunning, swapIn, type SwapOutcome } from './swap.js';
import type { ResolvedScope, Window } from './tables.js';

export interface ReplayOptions {
  /** The database. The replay opens connections of its own and closes them when it ends. */
  readonly connectionString: string;
  /** The log, read only. */
  readonly store: EventStore;
  /** One tenant, job or endpoint: replay and compare only what it is made of. Default: all. */
  readonly scope?: ReplayScope;
  /** Replay up to this position, or up to the first event recorded after this time. */
  readonly to?: number | Date;
  /**
   * Put the replayed rows in place of the live ones (a full replay to the head only, while the
   * projection is stopped). Default false: compare only.
   */
  readonly swap?: boolean;
  /** Where to replay (see {@link ShadowKind}). Default `schema`. */
  readonly shadow?: ShadowKind;
  /** Differences listed per table (all are counted). Default 1000. */
  readonly limit?: number;
  /**
   * Check every event against the catalogue's schemas, as the live projection's reads do.
   * Default false: events were checked when made; a replay checks their type and version (and
   * upcasts older ones), faster (the replay bench measures both). Scoped replays always check.
   */
  readonly verify?: boolean;
  /**
   * Threads that fold the log (a whole-log or one tenant's replay), each its share of the
   * endpoints, while this thread writes. Default: 2, or 1 on a single core. 0 folds on the
   * caller's thread. An endpoint's or a job's replay reads a few streams and folds them here.
   */
  readonly workers?: number;
  /** Log positions read at a time, and rows written at a time while folding. Default 20 000. */
  readonly batchSize?: number;
  /** Structured logs (default: none). */
  readonly log?: Logger;
  /** Called (and awaited) after each batch: a progress bar. Throwing stops the replay. */
  readonly onProgress?: (progress: ReplayProgress) => void | Promise<void>;
}

/** What a replay found. */
export interface ReplayReport {
  /** Where it replayed (dropped since). */
  readonly shadow: string;
  readonly scope: ReplayScope;
  /** The streams it read, for one endpoint or job; null when it read the log. */
  readonly streams: readonly string[] | null;
  /** The log's head when it started, and the position it replayed through. */
  readonly head: number;
  readonly through: number;
  /** Where the live projection had read up to when compared. */
  readonly livePosition: number;
  /** Rows changed by events of this window (read by one side only) were not compared. */
  readonly notCompared: Window | null;
  readonly events: number;
  readonly replayMs: number;
  /** Where the replay's time went (`replayMs` split). */
  readonly timings: ReplayTimings;
  readonly compareMs: number;
  /** Streams the replay could not handle (the live projection parks them too). */
  readonly parked: readonly ReplayParked[];
  readonly tables: readonly TableComparison[];
  readonly differences: readonly Difference[];
  readonly swap: SwapOutcome | null;
}

const PROJECTION = 'scheduling';
const isScoped = (scope: ReplayScope) => Object.values(scope).some((v) => v !== undefined);

/**
 * Replays the log into a shadow of the scheduling read models with the real projection, compares
 * the shadow with the live read models row by row, optionally swaps it in, and drops it.
 *
 * @throws ReplayRefusedError when the scope is not in the log, or a swap cannot be done.
 * @example
 * const report = await replay({ connectionString, store, scope: { endpointId: 'nightly' } });
 * if (report.differences.length > 0) console.table(report.tables);
 */
export async function replay(options: ReplayOptions): Promise<ReplayReport> {
  const { connectionString, store } = options;
  const scope = options.scope ?? {};
  const log = options.log ?? pino({ level: 'silent' });
  const batchSize = options.batchSize ?? 20_000;
  if (options.swap && (isScoped(scope) || options.to !== undefined)) {
    throw new ReplayRefusedError(
      'invalid',
      'a swap replaces every read model: replay the whole log, to its head (no scope, no `to`)',
    );
  }
  const live = createSchedulingDb({ connectionString, max: 2 });
  try {
    if (options.swap) await assertNotRunning(live, PROJECTION);
    const head = await store.headPosition();
    const found = await resolveScope(live, scope);
    const workers = options.workers ?? Math.min(2, availableParallelism());
    if (!found.streams && workers > 0) prepareFoldThreads();
    const bound = await boundOf(live, head, options.to);
    const source = found.streams
      ? await streamSource(store, found.streams, bound, batchSize)
      : await logSource(connectionString, live, bound, found.scope.tenants, {
          verify: options.verify ?? false,
          batchSize,
        });
    const leftovers = await leftoverShadows(live);
    if (leftovers.length > 0) {
      log.warn({ leftovers }, 'shadows of replays that did not finish: drop them by hand');
    }
    const shadow = await createShadow(
      connectionString,
      live,
      options.shadow ?? 'schema',
      new Date(),
    );
    log.info(
      { shadow: shadow.schema, scope, head, through: source.through, streams: source.streams },
      'replay started',
    );
    try {
      const started = performance.now();
      const deps = {
        name: PROJECTION,
        batchSize,
        log: log.child({ shadow: shadow.schema }),
        onProgress: options.onProgress,
      };
      const { parked, events, timings } =
        source.streams === null && workers > 0
          ? await foldInWorkers(shadow, {
              ...deps,
              connectionString,
              through: source.through,
              verify: options.verify ?? false,
              tenants: found.scope.tenants,
              workers,
            })
          : await foldInto(shadow, source, deps);
      const replayMs = performance.now() - started;
      log.info(
        { events, ms: Math.round(replayMs), perSecond: Math.round(events / (replayMs / 1000)) },
        'replayed',
      );
      const compared = await compare(shadow, found.scope, source.through, options.limit ?? 1000);
      const compareMs = performance.now() - started - replayMs;
      log.info(
        { differences: compared.tables.reduce((n, t) => n + t.differences, 0), ms: compareMs },
        'compared',
      );
      const swap = options.swap ? await swapIn(live, shadow, source.through, PROJECTION) : null;
      if (swap) log.info(swap, swap.swapped ? 'swapped in' : 'swap refused');
      return {
        shadow: shadow.schema,
        scope,
        streams: source.streams,
        head,
        through: source.through,
        ...compared,
        events,
        replayMs,
        timings,
        compareMs,
        parked,
        swap,
      };
    } finally {
      await dropShadow(shadow, log);
    }
  } finally {
    await live.destroy();
  }
}

async function dropShadow(shadow: Shadow, log: Logger): Promise<void> {
  try {
    await shadow.drop();
  } catch (error) {
    log.error({ err: error, shadow: shadow.schema }, 'could not drop the shadow: drop it by hand');
  }
}

/**
 * Compares in one repeatable-read transaction with the read of the live checkpoint, so the rows
 * left out (those events between the two positions may have changed) are exactly right.
 */
async function compare(shadow: Shadow, scope: ResolvedScope, through: number, limit: number) {
  return shadow.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const { rows } = await sql<{ position: number }>`
        select position from ${sql.id(shadow.live, 'processor_checkpoints')}
        where name = ${PROJECTION}`.execute(trx);
      const livePosition = Number(rows[0]?.position ?? 0);
      const notCompared =
        livePosition === through
          ? null
          : { after: Math.min(livePosition, through), through: Math.max(livePosition, through) };
      const { live, schema } = shadow;
      const result = await compareTables(trx, {
        live,
        shadow: schema,
        scope,
        window: notCompared,
        limit,
      });
      return { livePosition, notCompared, ...result };
    });
}
