import { ConcurrencyError, type EventStore } from '@orrery/domain';
import { expect, it } from 'vitest';
import { TimeOrderError } from './append-plan.js';
import { isStrictlyIncreasing, paused, resumed, uniqueStream } from './contract-helpers.js';

/** Appending and reading: versions, positions, atomic batches, concurrency. */
export function appendReadContract(store: () => EventStore): void {
  /** The instant of the log's last event (ms), undefined for an empty log. */
  const lastInstant = async () => {
    const head = await store().headPosition();
    const [last] = await store().readAll({ after: head - 1, limit: 1 });
    return last === undefined ? undefined : Date.parse(last.recordedAt);
  };
  const at = (ms: number) => new Date(ms).toISOString();

  it('appends to a new stream and reads the events back with their place in the log', async () => {
    const stream = uniqueStream('endpoint');
    const result = await store().append(stream, [paused(), resumed()], { expectedVersion: 0 });

    expect(result.streamVersion).toBe(2);
    expect(isStrictlyIncreasing(result.positions)).toBe(true);
    const events = await store().readStream(stream);
    expect(events.map((e) => [e.type, e.streamId, e.streamVersion, e.position])).toEqual([
      ['Paused', stream, 1, result.positions[0]],
      ['Resumed', stream, 2, result.positions[1]],
    ]);
    expect(events[0]?.data).toEqual({ until: null, reason: 'maintenance' });
    expect(events[0]?.metadata).toEqual({ tenantId: 't1', actor: { kind: 'user', id: 'u1' } });
    expect(Date.parse(events[0]?.recordedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('chains appends by version and reads a stream from a version on', async () => {
    const stream = uniqueStream('endpoint');
    const first = await store().append(stream, [paused()], { expectedVersion: 0 });
    await store().append(stream, [resumed(), paused()], { expectedVersion: first.streamVersion });

    const tail = await store().readStream(stream, { fromVersion: 2 });
    expect(tail.map((e) => e.streamVersion)).toEqual([2, 3]);
    expect(await store().readStream(uniqueStream('missing'))).toEqual([]);
  });

  it('refuses a wrong expected version with ConcurrencyError and writes nothing', async () => {
    const stream = uniqueStream('endpoint');
    await store().append(stream, [paused()], { expectedVersion: 0 });

    const stale = store().append(stream, [resumed()], { expectedVersion: 0 });
    await expect(stale).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(stale).rejects.toMatchObject({ streamId: stream, expected: 0, actual: 1 });
    const ahead = store().append(uniqueStream('new'), [paused()], { expectedVersion: 3 });
    await expect(ahead).rejects.toMatchObject({ expected: 3, actual: 0 });
    expect(await store().readStream(stream)).toHaveLength(1);
  });

  it("appends whatever the version with 'any', and checks versions even for no events", async () => {
    const stream = uniqueStream('endpoint');
    await store().append(stream, [paused()], { expectedVersion: 'any' });
    const second = await store().append(stream, [resumed()], { expectedVersion: 'any' });
    expect(second.streamVersion).toBe(2);

    expect(await store().append(stream, [], { expectedVersion: 2 })).toEqual({
      streamId: stream,
      streamVersion: 2,
      positions: [],
      duplicate: false,
    });
    await expect(store().append(stream, [], { expectedVersion: 1 })).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
  });

  it('records the pinned recordedAt instant', async () => {
    const stream = uniqueStream('endpoint');
    const last = await lastInstant();
    const recordedAt = new Date((last ?? Date.parse('2024-03-31T01:30:00.000Z')) + 1).toISOString();
    await store().append(stream, [paused()], { expectedVersion: 0, recordedAt });
    expect((await store().readStream(stream))[0]?.recordedAt).toBe(recordedAt);
  });

  it("refuses a pinned instant earlier than the event before it, and appends nothing: the log's time never goes back", async () => {
    await store().append(uniqueStream('a'), [paused()], { expectedVersion: 0 });
    const head = await store().headPosition();
    const last = (await lastInstant()) as number;
    const early = new Date(last - 1).toISOString();
    const stream = uniqueStream('endpoint');
    const refused = store().append(stream, [paused()], { expectedVersion: 0, recordedAt: early });
    await expect(refused).rejects.toThrow(
      /recordedAt .*earlier than .*the log's time never goes back/,
    );
    await expect(refused).rejects.toBeInstanceOf(TimeOrderError);
    // Within one batch too: the second request goes back from the first.
    const batch = store().appendMany([
      { streamId: stream, events: [paused()], expectedVersion: 0, recordedAt: at(last + 2) },
      { streamId: stream, events: [resumed()], expectedVersion: 1, recordedAt: at(last + 1) },
    ]);
    await expect(batch).rejects.toBeInstanceOf(TimeOrderError);
    expect(await store().headPosition()).toBe(head);
    expect(await store().readStream(stream)).toEqual([]);
  });

  it('stamps an event after a pinned instant no earlier than it', async () => {
    const ahead = at(Math.max(Date.now(), (await lastInstant()) ?? 0) + 1_000);
    const stream = uniqueStream('endpoint');
    await store().appendMany([
      { streamId: stream, events: [paused()], expectedVersion: 0, recordedAt: ahead },
      { streamId: stream, events: [resumed()], expectedVersion: 1 },
    ]);
    await store().append(stream, [paused()], { expectedVersion: 2 });
    const instants = (await store().readStream(stream)).map((e) => Date.parse(e.recordedAt));
    expect(instants[0]).toBe(Date.parse(ahead));
    expect(instants[1]).toBeGreaterThanOrEqual(Date.parse(ahead));
    expect(instants[2]).toBeGreaterThanOrEqual(instants[1] as number);
  });

  it('reads all streams in position order after a checkpoint, up to a limit', async () => {
    const head = await store().headPosition();
    const a = await store().append(uniqueStream('a'), [paused(), resumed()], {
      expectedVersion: 0,
    });
    const b = await store().append(uniqueStream('b'), [paused()], { expectedVersion: 0 });
    const positions = [...a.positions, ...b.positions];

    const all = await store().readAll({ after: head });
    expect(all.map((e) => e.position)).toEqual(positions);
    const page = await store().readAll({ after: positions[0] ?? 0, limit: 1 });
    expect(page.map((e) => e.position)).toEqual([positions[1]]);
    expect(await store().headPosition()).toBe(positions.at(-1));
  });

  it('reads only the asked types, and covers the log up to its head past the others', async () => {
    const head = await store().headPosition();
    const a = await store().append(uniqueStream('a'), [paused('1'), resumed(), paused('2')], {
      expectedVersion: 0,
    });
    const b = await store().append(uniqueStream('b'), [resumed()], { expectedVersion: 0 });
    const [p1, r1, p2, r2] = [...a.positions, ...b.positions];

    const all = await store().readTypes({ after: head, types: ['Paused'] });
    expect(all.events.map((e) => [e.type, e.position, e.data])).toEqual([
      ['Paused', p1, { until: null, reason: '1' }],
      ['Paused', p2, { until: null, reason: '2' }],
    ]);
    // Fewer than the limit came back: the read covers the head, the trailing Resumed included.
    expect(all.through).toBe(r2);
    // A full page covers only up to its last event: what lies after it is read next time.
    const page = await store().readTypes({ after: head, types: ['Paused'], limit: 1 });
    expect(page.events.map((e) => e.position)).toEqual([p1]);
    expect(page.through).toBe(p1);
    const next = await store().readTypes({ after: page.through, types: ['Resumed'], limit: 1 });
    expect(next.events.map((e) => e.position)).toEqual([r1]);
    expect(next.through).toBe(r1);
    // Nothing of the types after the checkpoint: no events, the checkpoint moves to the head.
    const none = await store().readTypes({ after: p2 ?? 0, types: ['Paused'] });
    expect(none).toEqual({ events: [], through: r2 });
    expect(await store().readTypes({ after: r2 ?? 0, types: ['Paused'] })).toEqual({
      events: [],
      through: r2,
    });
  });

  it('appends to many streams in one call, chaining requests for one stream', async () => {
    const [s1, s2] = [uniqueStream('s1'), uniqueStream('s2')];
    await store().append(s2, [paused()], { expectedVersion: 0 });
    const results = await store().appendMany([
      { streamId: s1, expectedVersion: 0, events: [paused(), resumed()] },
      { streamId: s2, expectedVersion: 1, events: [resumed()] },
      { streamId: s1, expectedVersion: 2, events: [paused()] },
    ]);

    expect(results.map((r) => [r.streamId, r.streamVersion, r.positions.length])).toEqual([
      [s1, 2, 2],
      [s2, 2, 1],
      [s1, 3, 1],
    ]);
    expect(isStrictlyIncreasing(results.flatMap((r) => r.positions))).toBe(true);
    expect((await store().readStream(s1)).map((e) => e.type)).toEqual([
      'Paused',
      'Resumed',
      'Paused',
    ]);
  });

  it('fails a whole appendMany when one expected version is wrong: nothing is written', async () => {
    const [good, bad] = [uniqueStream('good'), uniqueStream('bad')];
    await store().append(bad, [paused()], { expectedVersion: 0 });
    const head = await store().headPosition();

    const batch = store().appendMany([
      { streamId: good, expectedVersion: 0, events: [paused(), resumed()] },
      { streamId: bad, expectedVersion: 0, events: [resumed()] },
    ]);
    await expect(batch).rejects.toMatchObject({
      name: 'ConcurrencyError',
      streamId: bad,
      actual: 1,
    });
    expect(await store().readStream(good)).toEqual([]);
    expect(await store().readAll({ after: head })).toEqual([]);
  });

  it('lets exactly one of 20 concurrent appenders win a version', async () => {
    const stream = uniqueStream('contended');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        store().append(stream, [paused(`writer ${i}`)], { expectedVersion: 0 }),
      ),
    );
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(rejected).toHaveLength(19);
    for (const o of rejected) expect(o.reason).toBeInstanceOf(ConcurrencyError);
    expect(await store().readStream(stream)).toHaveLength(1);
  });

  it('keeps a stream gapless when 20 concurrent writers retry on conflict', async () => {
    const stream = uniqueStream('contended');
    const writer = async (i: number): Promise<void> => {
      for (;;) {
        const version = (await store().readStream(stream)).length;
        try {
          await store().append(stream, [paused(`writer ${i}`)], { expectedVersion: version });
          return;
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer(i)));

    const events = await store().readStream(stream);
    expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => (e.type === 'Paused' ? e.data.reason : ''))).size).toBe(20);
  });
}
