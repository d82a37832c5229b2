import type { EventStore, RecordedEvent } from '@orrery/domain';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { freePort } from '@orrery/postgres';
import { schedulingMigrations } from '@orrery/scheduling';
import { SecretBox } from '@orrery/secrets';
import {
  deleteKeysWithPrefix,
  describeWithRedis,
  redisUrl,
  startTargetServer,
  uniquePrefix,
  useTestDatabase,
  waitFor,
  type TargetServer,
} from '@orrery/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiProcess, type ApiProcess } from './support/api-process.js';
import { ofType, Script, streamOf, TenantApi } from './support/cascade-world.js';
import {
  allPages,
  chapterOrder,
  type EventItem,
  outcomeMismatches,
  plannerOutcomes,
  plannerSessions,
  proposalsFor,
  streamSummary,
} from './support/planner-log.js';
import { ServiceGroup } from './support/service-process.js';

/**
 * A conflict storm on one endpoint, end to end: the API, the projection, a dispatcher, two
 * executors and the planner as separate processes over Postgres and BullMQ. Two upstreams in
 * other jobs ask the heuristic planner to run their shared downstream `d` faster and slower;
 * a user hint, the anti-thrash limit of d's job, a cascade and a user pause meet them. Each
 * phase waits for the event that proves the one before; the checks are on the log and the API,
 * never on how fast anything ran.
 */
const db = useTestDatabase();
const ADMIN_KEY = 'planner-e2e-admin-key-0123456789';
const TENANT = 'plan';
const READY_MS = 120_000;
const WAIT_MS = 60_000;
/** Job gamma's anti-thrash: two turns of d's interval per 10 min, then 10 min of refusals. */
const MAX_CHANGES = 2;
const TEN_MINUTES = 600_000;
/** Long enough for the planner to meet the user's hint a few times, short enough to lapse. */
const USER_HINT_TTL_MS = 10_000;
/** What the upstreams ask for d (b's is above d's maximum, so it is clamped). */
const FAST_MS = 1_000;
const SLOW_MS = 4_000;
const D_MAX_MS = 3_000;

type Rejected = Extract<RecordedEvent, { type: 'HintRejected' }>;
type Proposed = Extract<RecordedEvent, { type: 'HintProposed' }>;
type IntervalHint = Proposed & { readonly data: Extract<Proposed['data'], { slot: 'interval' }> };

describeWithRedis(
  'planner conflicts across services: api, projection, dispatcher, executors, planner',
  () => {
    const prefix = uniquePrefix('planner-e2e');
    const services = new ServiceGroup();
    const script = new Script();
    let api: ApiProcess | undefined;
    let target: TargetServer;
    let store: EventStore;
    let tenant: TenantApi;
    /** Whether a and b answer with their downstream interval signals yet. */
    let signals = false;

    beforeAll(async () => {
      target = await startTargetServer({ respond: script.respond });
      const url = db().url;
      await migrateDatabase(url, undefined, schedulingMigrations);
      store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
      const port = await freePort();
      api = startApiProcess({
        baseUrl: `http://127.0.0.1:${port}`,
        env: {
          DATABASE_URL: url,
          PORT: String(port),
          HOST: '127.0.0.1',
          ORRERY_SECRET_KEY: SecretBox.generateKey(),
          ORRERY_ADMIN_KEY: ADMIN_KEY,
          ALLOW_LOOPBACK: 'true',
          RATE_LIMIT_PER_MINUTE: '100000',
          LOG_LEVEL: 'warn',
        },
      });
      const env = {
        DATABASE_URL: url,
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'info',
        MIGRATE: 'false',
      };
      services.start({ service: 'projection', label: 'projection', env, readyTimeoutMs: READY_MS });
      services.start({ service: 'dispatcher', label: 'dispatcher', env, readyTimeoutMs: READY_MS });
      for (const n of [1, 2]) {
        services.start({
          service: 'executor',
          label: `executor-${n}`,
          env: { ...env, ALLOW_LOOPBACK: 'true', EXECUTOR_ID: `executor-${n}` },
          readyTimeoutMs: READY_MS,
        });
      }
      services.start({
        service: 'planner',
        label: 'planner',
        env: { DATABASE_URL: url, LOG_LEVEL: 'info', MIGRATE: 'false', PLANNER_DEBOUNCE_MS: '100' },
        readyMessage: 'planner started',
        readyTimeoutMs: READY_MS,
      });
      await Promise.all([api.ready(READY_MS), ...services.all.map((s) => s.ready)]);

      const admin = new TenantApi(api.baseUrl, ADMIN_KEY);
      await admin.ok('POST', '/v1/admin/tenants', { id: TENANT, name: 'Planner conflicts' });
      const key = await admin.ok('POST', `/v1/admin/tenants/${TENANT}/keys`, { name: 'e2e' });
      tenant = new TenantApi(api.baseUrl, key.key);
    }, READY_MS + 60_000);

    afterAll(async () => {
      await services.stopAll(5_000);
      await api?.stop();
      await store?.close();
      await target?.close();
      await deleteKeysWithPrefix(prefix);
    });

    const stream = (id: string) => streamOf(store, TENANT, id);
    const refusals = (events: readonly RecordedEvent[], rule: string): Rejected[] =>
      ofType(events, 'HintRejected').filter((e) => e.data.rule === rule);
    const plannerIntervals = (events: readonly RecordedEvent[]): IntervalHint[] =>
      ofType(events, 'HintProposed').filter(
        (e): e is IntervalHint => e.data.source === 'planner' && e.data.slot === 'interval',
      );

    it('a user hint, anti-thrash, a cascade and a pause each win over the planners, one outcome per proposal', async ({
      onTestFailed,
    }) => {
      onTestFailed(async () => {
        for (const s of services.all) console.error(`${s.label}:\n  ${s.problems().join('\n  ')}`);
        console.error(`c's stream:\n  ${streamSummary(await stream('c')).join('\n  ')}`);
        // d's runs on its own schedule and its gates' observations are only counted.
        const telling = (e: RecordedEvent) =>
          e.type === 'RunDispatched'
            ? e.data.cascade !== undefined
            : e.type === 'UpstreamObserved'
              ? e.data.edgeId === 'c.d'
              : e.type !== 'ResponseRecorded' && e.type !== 'RunSkipped';
        console.error(`d's stream:\n  ${streamSummary(await stream('d'), telling).join('\n  ')}`);
      });
      const url = (path: string) => `${target.url}${path}`;
      script.on('/storm/a', () =>
        signals ? { downstream_interval_ms: FAST_MS, hint_ttl_ms: 20_000 } : { quiet: true },
      );
      script.on('/storm/b', () =>
        signals ? { downstream_interval_ms: SLOW_MS, hint_ttl_ms: 20_000 } : { quiet: true },
      );
      script.on('/storm/c', () => ({ ready: true }));

      // Three jobs; gamma, d's job, turns d's interval at most twice per 10 min.
      for (const job of ['alpha', 'beta', 'gamma']) await tenant.job(job);
      const antiThrash = {
        maxChanges: MAX_CHANGES,
        windowMs: TEN_MINUTES,
        cooldownMs: TEN_MINUTES,
      };
      const patched = await tenant.ok('PATCH', '/v1/jobs/gamma', {
        planner: { policy: { antiThrash } },
      });
      expect(patched.planner.policy.antiThrash).toEqual(antiThrash);
      const endpoint = (job: string, id: string, body: Record<string, unknown>) =>
        tenant.endpoint(job, {
          id,
          name: id,
          request: { url: url(`/storm/${id}`) },
          timeoutMs: 2_000,
          ...body,
        });
      const every = (ms: number) => ({
        baseline: { kind: 'interval', everyMs: ms },
        start: { kind: 'immediately' },
      });
      await endpoint('alpha', 'a', every(700));
      await endpoint('beta', 'b', every(900));
      await endpoint('beta', 'c', { baseline: { kind: 'none' } });
      const gate = { mode: 'gate', condition: 'true', freshness: { kind: 'duration', ms: 60_000 } };
      await endpoint('gamma', 'd', {
        ...every(2_000),
        minIntervalMs: 500,
        maxIntervalMs: D_MAX_MS,
        dependsOn: [
          { upstream: 'a', ...gate },
          { upstream: 'b', ...gate },
          // Any answer of c's within the minute counts, however often d runs on its own.
          {
            upstream: 'c',
            condition: 'body.ready == true',
            freshness: { kind: 'duration', ms: 60_000 },
          },
        ],
      });
      // The planner reads a job's settings from the read model: let the projection catch up.
      await waitFor(
        "gamma's planner policy in the read model",
        async () => {
          const jobs = await allPages(tenant, '/v1/jobs');
          const gamma = jobs.find((j) => j.id === 'gamma');
          return gamma?.planner.policy.antiThrash.maxChanges === MAX_CHANGES ? true : undefined;
        },
        { timeoutMs: WAIT_MS, intervalMs: 250 },
      );

      // (1) A user's hint is live on d before any planner proposes for it.
      const userHint = await tenant.ok('POST', '/v1/endpoints/d/hints', {
        kind: 'interval',
        intervalMs: 1_500,
        ttlMs: USER_HINT_TTL_MS,
        reason: 'the operator is watching',
      });
      signals = true;
      const outranked = await waitFor(
        'a planner proposal for d refused by precedence',
        async () => refusals(await stream('d'), 'precedence')[0],
        { timeoutMs: WAIT_MS, intervalMs: 250 },
      );
      expect(outranked.data).toMatchObject({
        source: 'planner',
        winner: { kind: 'hint', hintId: userHint.hintId, source: 'user' },
      });

      // (2) Once it lapses, a and b turn d faster and slower until anti-thrash refuses a turn.
      const thrash = await waitFor(
        'a direction change on d refused by anti_thrash with a cooldown',
        async () =>
          refusals(await stream('d'), 'anti_thrash').find(
            (e) => e.data.cooldownUntil !== undefined,
          ),
        { timeoutMs: WAIT_MS, intervalMs: 250 },
      );

      // (3) A cascade from c runs d.
      await tenant.ok('POST', '/v1/endpoints/c/run', { reason: 'start the cascade' });
      const cascadeRun = await waitFor(
        'd dispatched by the cascade from c',
        async () =>
          ofType(await stream('d'), 'RunDispatched').find(
            (e) => e.data.cascade !== undefined && e.position > thrash.position,
          ),
        { timeoutMs: WAIT_MS, intervalMs: 250 },
      );
      expect(cascadeRun.data.cascade?.chain).toEqual(['c', 'd']);

      // (4) The user pauses d: the planners' proposals for it meet the pause.
      await tenant.ok('POST', '/v1/endpoints/d/pause', { until: null, reason: 'hands off' });
      const paused = ofType(await stream('d'), 'Paused').find(
        (e) => e.metadata.actor.kind === 'user',
      );
      if (!paused) throw new Error('no Paused by the user on d');
      await waitFor(
        'a planner proposal for d refused by pause_wins',
        async () =>
          refusals(await stream('d'), 'pause_wins').find((e) => e.position > paused.position),
        { timeoutMs: WAIT_MS, intervalMs: 250 },
      );

      // Stop everything that appends; the projection catches up with the log, then stops too.
      const writers = services.all.filter((s) => s.label !== 'projection');
      await Promise.all(writers.map((s) => s.stop(5_000)));
      const refusedOnD = ofType(await stream('d'), 'HintRejected').length;
      const sessionsOfA = (await plannerSessions(store, TENANT, ['a'])).length;
      await waitFor(
        'the conflicts and planner sessions projected',
        async () => {
          const conflicts = await allPages(tenant, '/v1/conflicts?endpoint=d&limit=200');
          const sessions = await allPages(tenant, '/v1/planner/sessions?endpoint=a&limit=200');
          return conflicts.length === refusedOnD && sessions.length === sessionsOfA
            ? true
            : undefined;
        },
        { timeoutMs: WAIT_MS, intervalMs: 200 },
      );
      await services.stopAll(5_000);

      // From the log: every planner proposal for d has exactly one outcome on d's stream, and
      // every planner outcome there answers a proposal a session recorded.
      const events = await stream('d');
      const sessions = await plannerSessions(store, TENANT, ['a', 'b', 'c', 'd']);
      const proposals = proposalsFor(sessions, 'd');
      expect(proposals.length).toBeGreaterThan(0);
      const outcomes = plannerOutcomes(events);
      expect(outcomeMismatches(proposals, outcomes)).toEqual([]);

      // No planner interval hint on d while the user's was live, nor after the pause.
      const userProposed = ofType(events, 'HintProposed').find(
        (e) => e.data.hintId === userHint.hintId,
      );
      if (!userProposed) throw new Error("the user's hint is not on d's stream");
      expect(outcomes.filter((e) => e.position < userProposed.position)).toEqual([]);
      const granted = plannerIntervals(events);
      expect(granted.length).toBeGreaterThan(0);
      const userLapsed = Date.parse(userHint.expiresAt);
      for (const hint of granted) {
        expect(hint.position, hint.data.hintId).toBeGreaterThan(userProposed.position);
        expect(Date.parse(hint.data.proposedAt ?? ''), hint.data.hintId).toBeGreaterThanOrEqual(
          userLapsed,
        );
        expect(hint.position, hint.data.hintId).toBeLessThan(paused.position);
      }
      // Bounds: b's slow interval was clamped to d's maximum.
      expect(
        granted.some((h) => h.data.intervalMs === D_MAX_MS && h.data.clamped?.bound === 'max'),
      ).toBe(true);
      // Anti-thrash: the turns accepted fit the limit (the whole run is inside one window), all
      // before the refusal that started the cooldown.
      const turns = granted.filter((h) => h.data.steering?.change === true);
      expect(turns.length).toBeLessThanOrEqual(MAX_CHANGES);
      // The refusal counted MAX_CHANGES turns in the window: so many were accepted before it.
      expect(turns.length).toBe(MAX_CHANGES);
      expect(turns.every((h) => h.position < thrash.position)).toBe(true);
      expect(ofType(events, 'CascadeTriggered').length).toBeGreaterThan(0);

      // The conflicts API: d's refusals by each rule, the precedence ones naming the user's hint.
      const conflicts = await allPages(tenant, '/v1/conflicts?endpoint=d&limit=200');
      const rules = new Set(conflicts.map((c) => c.rule));
      for (const rule of ['precedence', 'anti_thrash', 'pause_wins']) expect(rules).toContain(rule);
      const precedence = conflicts.filter((c) => c.rule === 'precedence');
      for (const c of precedence) {
        expect(c).toMatchObject({
          target: { jobId: 'gamma', endpointId: 'd' },
          source: 'planner',
          winner: { kind: 'hint', hintId: userHint.hintId, source: 'user' },
        });
      }
      for (const c of conflicts.filter((x) => x.rule === 'pause_wins')) {
        expect(c.winner).toMatchObject({ kind: 'pause', until: null });
      }
      const thrashing = await allPages(tenant, '/v1/conflicts?rule=anti_thrash&limit=200');
      expect(thrashing.length).toBe(refusals(events, 'anti_thrash').length);
      expect(thrashing.every((c) => c.rule === 'anti_thrash' && c.target.endpointId === 'd')).toBe(
        true,
      );
      expect(thrashing.find((c) => c.proposalId === thrash.data.proposalId)?.cooldownUntil).toBe(
        thrash.data.cooldownUntil,
      );

      // The planner sessions API: a's sessions, and one's outcomes as the log recorded them.
      const listed = await allPages(tenant, '/v1/planner/sessions?endpoint=a&limit=200');
      expect(listed.length).toBe(sessionsOfA);
      expect(listed.every((s) => s.endpointId === 'a' && s.planner === 'heuristic')).toBe(true);
      const refusedSession = sessions.find(
        (s) => s.data.endpointId === 'a' && s.data.proposals.some((p) => p.rule === 'precedence'),
      );
      if (!refusedSession) throw new Error("no session of a met the user's hint");
      expect(listed.find((x) => x.sessionId === refusedSession.data.sessionId)).toMatchObject({
        proposalCount: refusedSession.data.proposals.length,
        rejected: refusedSession.data.proposals.filter((p) => p.outcome === 'rejected').length,
      });
      const detail = await tenant.ok(
        'GET',
        `/v1/planner/sessions/${encodeURIComponent(refusedSession.data.sessionId)}`,
      );
      expect(detail.proposals).toEqual(
        refusedSession.data.proposals.map((p) => ({
          proposalId: p.proposalId,
          targetEndpointId: p.targetEndpointId,
          kind: p.kind,
          outcome: p.outcome,
          rule: p.rule ?? null,
          detail: p.detail ?? null,
        })),
      );

      // The events API tells the story in order.
      const story = await allPages(
        tenant,
        '/v1/events?endpointId=d&type=HintProposed,HintRejected,CascadeTriggered,Paused&limit=500',
        { cursorParam: 'after' },
      );
      const types = new Set(['HintProposed', 'HintRejected', 'CascadeTriggered', 'Paused']);
      expect(story.map((e: EventItem) => e.position)).toEqual(
        events.filter((e) => types.has(e.type)).map((e) => e.position),
      );
      const chapters = {
        "the user's hint": (e: EventItem) =>
          e.type === 'HintProposed' && e.data['source'] === 'user',
        precedence: (e: EventItem) => e.data['rule'] === 'precedence',
        'a planner hint': (e: EventItem) =>
          e.type === 'HintProposed' && e.data['source'] === 'planner',
        anti_thrash: (e: EventItem) => e.data['rule'] === 'anti_thrash',
        'the cascade': (e: EventItem) => e.type === 'CascadeTriggered',
        'the pause': (e: EventItem) => e.type === 'Paused',
        pause_wins: (e: EventItem) => e.data['rule'] === 'pause_wins',
      };
      expect(chapterOrder(story, chapters)).toEqual(Object.keys(chapters));
    }, 300_000);
  },
);
