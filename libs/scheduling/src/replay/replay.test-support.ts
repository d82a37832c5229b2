/** A live system for the replay's tests: the real runtime's log and read models. */
import {
  endpointDecider,
  endpointStream,
  jobDecider,
  jobStream,
  makeEvent,
  plannerStream,
  tenantDecider,
  tenantStream,
  type Decider,
  type EventStore,
} from '@orrery/domain';
import { handleCommand, ORDERING_LOCK_KEY } from '@orrery/event-store';
import { InProcessQueue } from '@orrery/queue';
import { waitFor } from '@orrery/testkit';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { SchedulingDb } from '../db.js';
import { runToHead } from '../processing/processor-host.js';
import { SchedulingProjection } from '../projection/scheduling-projection.js';
import { startRuntime } from '../runtime.js';

const actor = (tenantId: string, kind: 'user' | 'planner' = 'user') => ({
  tenantId,
  actor: { kind, id: kind === 'user' ? 'u1' : 'heuristic' },
});

async function run<S extends { readonly version: number }, C>(
  store: EventStore,
  decider: Decider<S, C>,
  streamId: string,
  command: C,
  tenantId: string,
  kind: 'user' | 'planner' = 'user',
): Promise<void> {
  const outcome = await handleCommand(store, decider, streamId, command, {
    now: Date.now,
    metadata: actor(tenantId, kind),
  });
  if (!outcome.ok) throw new Error(`${streamId}: ${outcome.error.message}`);
}

/**
 * Drives a small system through the real runtime (projection, dispatcher, executor over an
 * in-process queue, calling `targetUrl`): two tenants, three jobs, four endpoints running every
 * 200 ms and two that never run, a hint accepted and a proposal refused, a planner session, a HintRejected stored at
 * version 1 (upcast when read), a paused job and a disabled tenant. Stops the runtime, then
 * brings the projection to the head, so the read models are the live state of the whole log.
 */
export async function driveLiveSystem(input: {
  serviceUrl: string;
  store: EventStore;
  db: SchedulingDb;
  targetUrl: string;
  log: Logger;
}): Promise<void> {
  const { store, db, log } = input;
  const runtime = await startRuntime({
    connectionString: input.serviceUrl,
    queue: new InProcessQueue(),
    log,
    roles: ['projection', 'dispatcher', 'executor'],
    executor: { http: { allowLoopback: true } },
  });
  try {
    for (const t of ['t1', 't2']) {
      await run(
        store,
        tenantDecider,
        tenantStream(t),
        { type: 'CreateTenant', tenantId: t, name: t },
        t,
      );
    }
    const jobs = [
      ['t1', 'j1'],
      ['t1', 'j2'],
      ['t2', 'j3'],
    ] as const;
    for (const [t, j] of jobs) {
      await run(
        store,
        jobDecider,
        jobStream(t, j),
        { type: 'CreateJob', jobId: j, tenantId: t, name: j },
        t,
      );
    }
    const endpoints = [
      ['t1', 'j1', 'e1'],
      ['t1', 'j1', 'e2'],
      ['t1', 'j2', 'e3'],
      ['t2', 'j3', 'e4'],
      ['t1', 'j1', 'quiet'],
      ['t2', 'j3', 'quiet2'],
    ] as const;
    for (const [t, j, e] of endpoints) {
      const quiet = e.startsWith('quiet');
      const config = {
        name: e,
        request: { url: `${input.targetUrl}/${e}` },
        baseline: { kind: 'interval' as const, everyMs: quiet ? 3_600_000 : 200 },
        ...(quiet ? {} : { start: { kind: 'immediately' as const } }),
      };
      const register = { type: 'Register' as const, endpointId: e, jobId: j, tenantId: t, config };
      await run(store, endpointDecider, endpointStream(t, e), register, t);
    }
    const e1 = endpointStream('t1', 'e1');
    const hint = { kind: 'interval' as const, intervalMs: 300, ttlMs: 3_600_000 };
    const propose = (id: string, source: 'user' | 'planner', action: typeof hint) => ({
      type: 'Propose' as const,
      proposal: { id, source, sourceId: source, reason: 'test', action },
    });
    await run(store, endpointDecider, e1, propose('p1', 'user', hint), 't1');
    // A planner's malformed proposal is refused (`invalid`): a conflict row.
    await run(
      store,
      endpointDecider,
      e1,
      propose('p2', 'planner', { ...hint, intervalMs: -1 }),
      't1',
      'planner',
    );
    await store.append(
      plannerStream('t1', 'e1'),
      [
        makeEvent(
          'PlannerSessionRecorded',
          {
            sessionId: 's1',
            endpointId: 'e1',
            jobId: 'j1',
            planner: 'heuristic',
            trigger: { runId: 'r0', position: 1 },
            basedOnPosition: 1,
            startedAt: new Date().toISOString(),
            durationMs: 3,
            outcome: 'completed',
          },
          actor('t1', 'planner'),
        ),
      ],
      { expectedVersion: 0 },
    );
    await insertV1Refusal(db, endpointStream('t1', 'quiet'), 2);
    const responses = async (t: string, e: string) =>
      (await store.readStream(endpointStream(t, e))).filter((ev) => ev.type === 'ResponseRecorded')
        .length;
    const ran = async (n: number) =>
      (
        await Promise.all(
          endpoints.filter(([, , e]) => !e.startsWith('quiet')).map(([t, , e]) => responses(t, e)),
        )
      ).every((c) => c >= n) || undefined;
    await waitFor('two responses per running endpoint', () => ran(2));
    await run(
      store,
      jobDecider,
      jobStream('t1', 'j2'),
      { type: 'PauseJob', until: null, reason: 'test' },
      't1',
    );
    await run(
      store,
      tenantDecider,
      tenantStream('t2'),
      { type: 'DisableTenant', reason: 'test' },
      't2',
    );
    // A job event after it: the job's endpoints are recomputed under the tenant's hold.
    await run(
      store,
      jobDecider,
      jobStream('t2', 'j3'),
      { type: 'UpdateJob', name: 'renamed' },
      't2',
    );
    const before = await responses('t1', 'e1');
    await waitFor(
      'more responses of e1',
      async () => (await responses('t1', 'e1')) > before + 1 || undefined,
    );
  } finally {
    await runtime.stop();
  }
  // The runtime stops between batches: catch up, so the read models hold the whole log.
  await runToHead(new SchedulingProjection({ db, store }), { store, db, log });
}

/**
 * A HintRejected as version 1 wrote it (a slot, no kind), appended the way the store appends
 * (under its ordering lock, so no follower can skip it).
 */
export async function insertV1Refusal(
  db: SchedulingDb,
  streamId: string,
  version: number,
): Promise<void> {
  const data = {
    proposalId: 'old',
    slot: 'interval',
    source: 'user',
    sourceId: 'u1',
    rule: 'outranked',
    detail: 'v1',
  };
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${ORDERING_LOCK_KEY})`.execute(trx);
    await sql`insert into events (stream_id, stream_version, type, type_version, data, metadata, tenant_id)
      values (${streamId}, ${version}, 'HintRejected', 1, ${JSON.stringify(data)},
        ${JSON.stringify(actor('t1'))}, 't1')`.execute(trx);
  });
}
