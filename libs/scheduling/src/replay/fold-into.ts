import type { EventStore } from '@orrery/domain';
import type { Logger } from 'pino';
import { ProcessorHost } from '../processing/processor-host.js';
import type { Processor } from '../processing/processor.js';
import { SchedulingProjection } from '../projection/scheduling-projection.js';
import type { Shadow } from './shadow.js';
import type { EventSource } from './source.js';

/** How far a replay has read, reported after each batch. */
export interface ReplayProgress {
  /** Events read so far, and how many there are to read (for the log: positions). */
  readonly read: number;
  readonly total: number;
  /** The position handled up to, and the last event to handle (its position). */
  readonly position: number;
  readonly through: number;
  readonly elapsedMs: number;
}

/** A stream the replay set aside because the projection could not handle it. */
export interface ReplayParked {
  readonly streamId: string;
  readonly position: number;
  readonly error: string;
}

/**
 * Runs the real scheduling projection, hosted by the real processor host, over the source into
 * the shadow: the host's lease, checkpoint and parked streams are the shadow's own tables, so a
 * stream the projection cannot handle is parked there exactly as the live host would park it,
 * and the replay reads on.
 */
export async function foldInto(
  shadow: Shadow,
  source: EventSource,
  deps: {
    readonly store: EventStore;
    readonly name: string;
    readonly batchSize: number;
    readonly log: Logger;
    readonly onProgress?: ((progress: ReplayProgress) => void | Promise<void>) | undefined;
  },
): Promise<ReplayParked[]> {
  // The real store for the projection's own reads (a stale snapshot folded again: never here).
  const projection = new SchedulingProjection({
    db: shadow.db,
    store: deps.store,
    name: deps.name,
  });
  const processor: Processor = {
    name: projection.name,
    wants: (event) => source.wants(event) && projection.wants(event),
    handle: (events, ctx) => projection.handle(events, ctx),
  };
  const host = new ProcessorHost({
    processor,
    store: source.store,
    db: shadow.db,
    log: deps.log,
    connectionString: null,
    batchSize: deps.batchSize,
    // Nobody else competes for the shadow's lease: never let it lapse during a long batch.
    leaseTtlMs: 3_600_000,
  });
  const started = performance.now();
  try {
    while (host.position < source.last) {
      const before = host.position;
      await host.tick();
      if (!host.active || host.position === before) {
        throw new Error(`the replay stopped at position ${host.position} of ${source.last}`);
      }
      await deps.onProgress?.({
        read: source.read(),
        total: source.total,
        position: host.position,
        through: source.last,
        elapsedMs: performance.now() - started,
      });
    }
  } finally {
    await host.stop();
  }
  const parked = await shadow.db
    .selectFrom('parked_streams')
    .select(['stream_id', 'position', 'error'])
    .orderBy('position')
    .execute();
  return parked.map((p) => ({
    streamId: p.stream_id,
    position: Number(p.position),
    error: p.error,
  }));
}
