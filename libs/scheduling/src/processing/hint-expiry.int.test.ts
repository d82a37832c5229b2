import { randomUUID } from 'node:crypto';
import {
  endpointDecider,
  endpointStream,
  type EndpointCommand,
  type RecordedEvent,
} from '@orrery/domain';
import { handleCommand, migrateDatabase } from '@orrery/event-store';
import { InProcessQueue } from '@orrery/queue';
import { useTestDatabase, waitFor } from '@orrery/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schedulingMigrations } from '../migrations/index.js';
import { startRuntime, type Runtime } from '../runtime.js';

const db = useTestDatabase();
const user = { tenantId: 't1', actor: { kind: 'user' as const, id: 'u1' } };
let runtime: Runtime;

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  runtime = await startRuntime({
    connectionString: db().url,
    queue: new InProcessQueue(),
    log: pino({ level: 'silent' }),
    roles: ['projection'],
  });
});
afterAll(async () => {
  await runtime.stop();
});

const command = (endpointId: string, cmd: EndpointCommand) =>
  handleCommand(runtime.store, endpointDecider, endpointStream('t1', endpointId), cmd, {
    now: Date.now,
    metadata: user,
  });

const hint = (hintId: string, slot: 'interval' | 'oneShot', ttlMs: number): EndpointCommand => ({
  type: 'ProposeHint',
  hintId,
  source: 'user',
  sourceId: 'u1',
  reason: '',
  hint:
    slot === 'interval'
      ? { slot, intervalMs: 3_600_000, ttlMs }
      : { slot, runAt: Date.now() + ttlMs - 1, ttlMs },
});

describe('the hint-expiry processor', () => {
  it('records each lapsed hint once, never before its TTL, and not the hints that ended otherwise', async () => {
    const id = `e-${randomUUID().slice(0, 8)}`;
    await command(id, {
      type: 'Register',
      endpointId: id,
      jobId: 'j1',
      tenantId: 't1',
      // Never due by itself: only the hints matter here.
      config: { name: id, request: { url: 'http://127.0.0.1:9/' }, baseline: { kind: 'none' } },
    });
    await command(id, hint('replaced', 'interval', 60_000));
    await command(id, hint('lapses', 'interval', 800)); // supersedes `replaced`
    await command(id, hint('also-lapses', 'oneShot', 1_200));
    const events = async () => runtime.store.readStream(endpointStream('t1', id));
    const expired = (all: readonly RecordedEvent[]) =>
      all.flatMap((e) => (e.type === 'HintExpired' ? [e] : []));

    await waitFor('both lapsed hints expired', async () =>
      expired(await events()).length >= 2 ? true : undefined,
    );
    const all = await events();
    const ends = expired(all);
    expect(ends.map((e) => e.data.hintId).sort()).toEqual(['also-lapses', 'lapses']);
    for (const e of ends) {
      // Recorded when the TTL passed, never before.
      expect(Date.parse(e.recordedAt)).toBeGreaterThanOrEqual(Date.parse(e.data.expiresAt));
      expect(e.metadata.actor).toEqual({ kind: 'system', id: 'hint-expiry' });
    }
    // The replaced hint's one outcome is its supersession, not an expiry.
    expect(all.filter((e) => e.type === 'HintSuperseded').map((e) => e.data)).toEqual([
      { hintId: 'replaced', slot: 'interval', byHintId: 'lapses' },
    ]);
    const lag = ends.map((e) => Date.parse(e.recordedAt) - Date.parse(e.data.expiresAt));
    console.log(`hint expiry: recorded ${lag.join(' ms, ')} ms after the TTL`);
  });
});
