import type { EventStore, RecordedEvent } from '@orrery/domain';
import { endpointOf } from './fleet-ids.js';

type Recorded<T extends RecordedEvent['type']> = Extract<RecordedEvent, { type: T }>;
export type Dispatch = Recorded<'RunDispatched'>;
export type Response = Recorded<'ResponseRecorded'>;

/** One run as the log tells it: its dispatches (attempts, in log order) and its responses. */
export interface LoggedRun {
  readonly runId: string;
  readonly endpointId: string;
  readonly dispatches: Dispatch[];
  readonly responses: Response[];
}

export interface RunLog {
  readonly events: readonly RecordedEvent[];
  /** Per run id. */
  readonly runs: ReadonlyMap<string, LoggedRun>;
  /** Per endpoint id, its runs in the order they were first dispatched. */
  readonly byEndpoint: ReadonlyMap<string, LoggedRun[]>;
  /** Responses whose run id was never dispatched on their stream. */
  readonly orphanResponses: readonly Response[];
  /** Per endpoint id, every event of its stream in stream order. */
  readonly streams: ReadonlyMap<string, readonly RecordedEvent[]>;
}

/** The whole log, in position order, read in pages (bounded by `maxEvents`). */
export async function readWholeLog(
  store: EventStore,
  maxEvents = 200_000,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let after = 0; events.length < maxEvents;) {
    const page = await store.readAll({ after, limit: 5_000 });
    const last = page.at(-1);
    if (!last) return events;
    events.push(...page);
    after = last.position;
  }
  throw new Error(`the log holds more than ${maxEvents} events`);
}

/** Indexes dispatches and responses by run, keeping log order. */
export function indexRuns(events: readonly RecordedEvent[]): RunLog {
  const runs = new Map<string, LoggedRun>();
  const byEndpoint = new Map<string, LoggedRun[]>();
  const orphanResponses: Response[] = [];
  const streams = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    const endpointId = endpointOf(event.streamId);
    if (endpointId === null) continue;
    const stream = streams.get(endpointId) ?? [];
    streams.set(endpointId, stream);
    stream.push(event);
    if (event.type === 'RunDispatched') {
      let run = runs.get(event.data.runId);
      if (!run) {
        run = { runId: event.data.runId, endpointId, dispatches: [], responses: [] };
        runs.set(run.runId, run);
        byEndpoint.set(endpointId, [...(byEndpoint.get(endpointId) ?? []), run]);
      }
      run.dispatches.push(event);
    } else if (event.type === 'ResponseRecorded') {
      const run = runs.get(event.data.runId);
      if (run && run.endpointId === endpointId) run.responses.push(event);
      else orphanResponses.push(event);
    }
  }
  for (const stream of streams.values()) stream.sort((a, b) => a.streamVersion - b.streamVersion);
  return { events, runs, byEndpoint, orphanResponses, streams };
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
