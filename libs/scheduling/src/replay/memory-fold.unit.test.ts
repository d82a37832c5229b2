import { endpointStream, fold, type DomainEvent, type RecordedEvent } from '@orrery/domain';
import {
  dispatched,
  endpointEvents,
  recordShop,
  registered,
  responded,
  SHOP_TO,
  T0,
} from '@orrery/domain/testing';
import { describe, expect, it } from 'vitest';
import { foldBatch } from '../projection/fold-batch.js';
import { foldJobs } from '../projection/fold-jobs.js';
import { schedulingWants } from '../projection/scheduling-projection.js';
import { LEFT_OUT } from './log-reader.js';
import { MemoryFold } from './memory-fold.js';

const history = (id: string, run: string): DomainEvent[] => [
  registered(id),
  dispatched(run, T0),
  responded(run, { at: T0 + 10 }),
];

/** Two endpoints' histories interleaved, positions in log order from 1. */
function log(): RecordedEvent[] {
  const a = endpointEvents('e1', history('e1', 'run-a'));
  const b = endpointEvents('e2', history('e2', 'run-b'));
  return a
    .flatMap((event, i) => [event, b[i]])
    .flatMap((event, i) => (event ? [{ ...event, position: i + 1 }] : []));
}

/** A recorded minute of a shop (responses, cascades, hints, a planner), in position order. */
function shopLog(): RecordedEvent[] {
  const history = recordShop().runUntil(SHOP_TO).history();
  return [...history.endpoints.values(), ...history.jobs.values()]
    .flat()
    .sort((a, b) => a.position - b.position);
}

describe('MemoryFold', () => {
  it('folds chunk after chunk into the states a fold of each stream gives, a run row once answered', () => {
    const events = log();
    const memory = new MemoryFold(schedulingWants);
    // One event per chunk: whatever the chunks, the states are the streams' own folds.
    for (const event of events) memory.apply({ events: [event], unreadable: [] });

    const ready = memory.takeReady(0);
    expect(ready?.runs.map((r) => [r.run_id, r.status, r.response_position])).toEqual([
      ['run-a', 'succeeded', 5],
      ['run-b', 'succeeded', 6],
    ]);
    expect(memory.parked).toEqual([]);
    // Nothing is handed out twice.
    expect(memory.takeReady(0)).toBeNull();
    for (const id of ['e1', 'e2']) {
      const stream = endpointStream('t1', id);
      const own = fold(events.filter((e) => e.streamId === stream));
      expect(memory.endpointStates.get(stream)).toEqual(own);
      expect(own.version).toBe(3);
    }
  });

  it('parks a stream at the event it cannot fold, skips its later events, and folds the others', () => {
    const events = log();
    const e2 = endpointStream('t1', 'e2');
    // e2's dispatch is lost: its response follows version 1 with version 3 (a gap).
    const broken = events.filter((e) => !(e.streamId === e2 && e.streamVersion === 2));
    const memory = new MemoryFold(schedulingWants);
    memory.apply({ events: broken, unreadable: [] });

    expect(memory.parked).toEqual([
      expect.objectContaining({ streamId: e2, streamVersion: 3, position: 6, tenantId: 't1' }),
    ]);
    expect(memory.parked[0]?.error).toMatch(/version 3 follows 1/);
    // e1 went on: its run is answered; e2's registration stands, its response was not taken.
    expect(memory.takeReady(0)?.runs.map((r) => r.run_id)).toEqual(['run-a']);
  });

  it('parks the stream of an unreadable event where it sits', () => {
    const memory = new MemoryFold(schedulingWants);
    const e1 = endpointStream('t1', 'e1');
    const [first, ...rest] = log().filter((e) => e.streamId === e1);
    memory.apply({
      events: first ? [first] : [],
      unreadable: [
        { position: 3, streamId: e1, streamVersion: 2, tenantId: 't1', error: 'unreadable' },
      ],
    });
    memory.apply({ events: rest, unreadable: [] });

    expect(memory.parked).toEqual([
      { position: 3, streamId: e1, streamVersion: 2, tenantId: 't1', error: 'unreadable' },
    ]);
    expect(memory.takeReady(0)).toBeNull(); // its later events were skipped: no run
  });

  it("gives the projection's own folds, however the log is cut into chunks", () => {
    const events = shopLog();
    const whole = new MemoryFold(schedulingWants);
    whole.apply({ events, unreadable: [] });
    const result = whole.result();

    // The live projection's folds over the whole log, in one batch.
    const batch = foldBatch(new Map(), events);
    expect(result.endpoints.size).toBeGreaterThan(3);
    expect(result.endpoints).toEqual(batch.endpoints);
    expect([...result.jobs.values()].map((j) => j.state)).toEqual(
      [...foldJobs(new Map(), events).values()].map((j) => j.state),
    );
    // Every run dispatched got one row: answered with its response's position, or still open.
    const rows = [...(result.rest?.runs ?? []), ...result.open];
    const dispatchedRuns = new Set(batch.dispatched.map((r) => r.runId));
    expect(new Set(rows.filter((r) => !r.test).map((r) => r.run_id))).toEqual(dispatchedRuns);
    const answeredAt = new Map(batch.recorded.map((r) => [r.runId, r.position]));
    for (const row of result.rest?.runs ?? []) {
      expect(row.response_position).toBe(answeredAt.get(row.run_id));
    }
    // Once each, and a run still open has no response.
    expect(rows.length).toBe(new Set(rows.map((r) => r.run_id)).size);
    expect(
      result.open.every((r) => r.status === 'dispatched' && r.response_position === null),
    ).toBe(true);
    expect(result.open.length).toBeGreaterThan(0);
    expect(result.rest?.runs.length).toBeGreaterThan(10);

    for (const size of [1, 7, 64]) {
      const chunked = new MemoryFold(schedulingWants);
      for (let at = 0; at < events.length; at += size) {
        chunked.apply({ events: events.slice(at, at + size), unreadable: [] });
      }
      expect(chunked.result(), `chunks of ${size}`).toEqual(result);
    }
  });

  it("parks a job stream at an event it cannot fold and folds the chunk's other events", () => {
    const events = shopLog();
    const created = events.find((e) => e.type === 'JobCreated');
    if (!created) throw new Error('the shop has no job');
    const last = events.at(-1)!;
    // A pause whose end is no instant (an owner's hand edit, say), then a resume after it.
    const unfoldable = {
      ...created,
      type: 'JobPaused',
      data: { until: 'next tuesday', reason: 'by hand' },
      streamVersion: 2,
      position: last.position + 1,
    } as unknown as RecordedEvent;
    const resumed = {
      ...created,
      type: 'JobResumed',
      data: {},
      streamVersion: 3,
      position: last.position + 2,
    } as unknown as RecordedEvent;
    // The endpoints' events of the same chunk, around the job's.
    const [head, tail] = [events.slice(0, -5), events.slice(-5)];

    const whole = new MemoryFold(schedulingWants);
    whole.apply({ events, unreadable: [] });
    const broken = new MemoryFold(schedulingWants);
    broken.apply({ events: [...head, unfoldable, resumed, ...tail], unreadable: [] });

    expect(broken.parked).toEqual([
      expect.objectContaining({
        streamId: created.streamId,
        streamVersion: 2,
        position: unfoldable.position,
      }),
    ]);
    expect(broken.parked[0]?.error).toMatch(/next tuesday/);
    const [kept, all] = [broken.result(), whole.result()];
    expect(kept.endpoints).toEqual(all.endpoints);
    expect(kept.rest).toEqual(all.rest);
    // The job stands as its creation left it (its resume was skipped); the others as they are.
    expect(kept.jobs).toEqual(all.jobs);
    expect(kept.jobs.get(created.streamId)?.state.version).toBe(1);
  });

  it('folds the same without what a trusted read leaves out, and never reads it', () => {
    // A recorded minute of a shop: responses with bodies and headers, cascades, hints, a planner.
    const history = recordShop().runUntil(SHOP_TO).history();
    const events = [...history.endpoints.values(), ...history.jobs.values()]
      .flat()
      .sort((a, b) => a.position - b.position);
    const left: readonly string[] = LEFT_OUT.data.ResponseRecorded;
    const metadataKept: readonly string[] = LEFT_OUT.metadataOfEndpointEventsBut;
    const unreadable = (what: string) => () => {
      throw new Error(`a fold read ${what}, which a trusted replay leaves out`);
    };
    // As a trusted read gives them, but what it leaves out throws when read instead of missing.
    const slim = events.map((event): RecordedEvent => {
      if (!event.streamId.startsWith('endpoint-') || metadataKept.includes(event.type))
        return event;
      const metadata = new Proxy(
        { tenantId: event.metadata.tenantId } as RecordedEvent['metadata'],
        {
          get: (target, key) =>
            key === 'tenantId' ? target.tenantId : unreadable(`metadata.${String(key)}`)(),
        },
      );
      if (event.type !== 'ResponseRecorded') return { ...event, metadata };
      const data = Object.fromEntries(
        Object.entries(event.data).filter(([k]) => !left.includes(k)),
      );
      for (const key of left) Object.defineProperty(data, key, { get: unreadable(`data.${key}`) });
      return { ...event, metadata, data } as RecordedEvent;
    });
    expect(events.filter((e) => e.type === 'ResponseRecorded').length).toBeGreaterThan(10);

    const whole = new MemoryFold(schedulingWants);
    const trusted = new MemoryFold(schedulingWants);
    whole.apply({ events, unreadable: [] });
    trusted.apply({ events: slim, unreadable: [] });

    expect(trusted.parked).toEqual([]);
    expect(trusted.result()).toEqual(whole.result());
  });
});
