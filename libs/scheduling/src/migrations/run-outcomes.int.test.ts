import {
  endpointStream,
  makeEvent,
  toIso,
  type EventDataInput,
  type EventMetadata,
} from '@orrery/domain';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { useTestDatabase } from '@orrery/testkit';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulingDb } from '../db.js';
import { runToHead } from '../processing/processor-host.js';
import { SchedulingProjection } from '../projection/scheduling-projection.js';
import { schedulingMigrations } from './index.js';

// Rows projected before 0105 get their outcome from the log, exactly as a rebuild would write it.
const db = useTestDatabase();
const meta: EventMetadata = { tenantId: 't1', actor: { kind: 'system', id: 'test' } };
const T0 = Date.parse('2030-01-01T00:00:00Z');
const stream = endpointStream('t1', 'e1');
const { '0105_run_outcomes': _added, ...before } = schedulingMigrations;

type Response = Omit<EventDataInput<'ResponseRecorded'>, 'runId' | 'startedAt' | 'finishedAt'>;
const answer = (status: number | null, extra: Partial<Response> = {}): Response => ({
  durationMs: 5,
  status,
  ok: status !== null && status >= 200 && status < 300,
  headers: {},
  body: null,
  bodyTruncated: false,
  ...extra,
});
const cut = { kind: 'too_large' as const, message: 'cut' };
const responses: Record<string, Response | null> = {
  'run-ok': answer(200),
  'run-500': answer(500),
  'run-cut': answer(200, { bodyTruncated: true, error: cut }),
  'run-cut-503': answer(503, { bodyTruncated: true, error: cut }),
  'run-slow': answer(null, { error: { kind: 'timeout', message: 'slow' } }),
  'run-refused': answer(null, { error: { kind: 'refused', message: 'loopback' } }),
  'run-open': null,
};

let store: ReturnType<typeof createPostgresEventStore>;
let readModels: ReturnType<typeof createSchedulingDb>;

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, before);
  store = createPostgresEventStore({ connectionString: db().url, maxConnections: 2 });
  readModels = createSchedulingDb({ connectionString: db().url, max: 2 });
  const config = { name: 'e1', request: { url: 'http://127.0.0.1:9/' } };
  await store.append(
    stream,
    [
      makeEvent(
        'EndpointRegistered',
        {
          endpointId: 'e1',
          jobId: 'j1',
          tenantId: 't1',
          config: { ...config, baseline: { kind: 'interval', everyMs: 60_000 } },
          registeredAt: toIso(T0),
        },
        meta,
      ),
    ],
    { expectedVersion: 0 },
  );
  let at = T0;
  for (const [runId, response] of Object.entries(responses)) {
    at += 60_000;
    const times = { scheduledFor: toIso(at), dispatchedAt: toIso(at) };
    const dispatched = makeEvent(
      'RunDispatched',
      { runId, ...times, leaseUntil: toIso(at + 30_000), attempt: 1, reason: 'baseline_interval' },
      meta,
    );
    const [dispatchedAt] = (await store.append(stream, [dispatched], { expectedVersion: 'any' }))
      .positions;
    let responsePosition: number | null = null;
    if (response) {
      const recorded = makeEvent(
        'ResponseRecorded',
        { runId, startedAt: toIso(at), finishedAt: toIso(at + 5), ...response },
        meta,
      );
      [responsePosition = null] = (
        await store.append(stream, [recorded], { expectedVersion: 'any' })
      ).positions;
    }
    // The row as the projection wrote it before runs had an outcome.
    await sql`insert into runs (run_id, endpoint_id, tenant_id, job_id, scheduled_for,
        dispatched_at, attempt, reason, status, lateness_ms, http_status, dispatch_position,
        response_position)
      values (${runId}, 'e1', 't1', 'j1', ${new Date(at)}, ${new Date(at)}, 1, 'baseline_interval',
        ${response ? (response.ok ? 'succeeded' : 'failed') : 'dispatched'}, 0,
        ${response?.status ?? null}, ${dispatchedAt}, ${responsePosition})`.execute(readModels);
  }
  await migrateDatabase(db().url, undefined, schedulingMigrations);
});

afterAll(async () => {
  await store?.close();
  await readModels?.destroy();
});

const outcomes = async () =>
  Object.fromEntries(
    (await readModels.selectFrom('runs').select(['run_id', 'outcome']).execute()).map((r) => [
      r.run_id,
      r.outcome,
    ]),
  );

describe('0105_run_outcomes', () => {
  it('fills in the outcome of every run from its recorded response', async () => {
    expect(await outcomes()).toEqual({
      'run-ok': 'succeeded',
      'run-500': 'http_error',
      'run-cut': 'truncated',
      'run-cut-503': 'http_error',
      'run-slow': 'timeout',
      'run-refused': 'refused',
      'run-open': 'pending',
    });
  });

  it('gives every run the outcome a rebuild from the log gives it', async () => {
    const migrated = await outcomes();
    await readModels.deleteFrom('runs').execute();
    const log = pino({ level: 'silent' });
    await runToHead(new SchedulingProjection({ db: readModels, store, name: 'rebuild' }), {
      store,
      db: readModels,
      log,
    });
    expect(await outcomes()).toEqual(migrated);
  });
});
