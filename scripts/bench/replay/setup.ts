/**
 * The start of a generated log, as the API writes it — tenants and their keys, jobs, endpoints
 * (registered one after another), each tenant's edges in one graph decision — and the rare
 * events placed over the history to come: a few job pauses and one tenant disabled for a while.
 */
import {
  decide,
  downstreamAppends,
  graphDecider,
  graphStream,
  type Decided,
  type DomainEvent,
  type Millis,
} from '@orrery/domain';
import type { History } from './simulation.js';
import type { GeneratorOptions } from './world.js';

const MINUTE = 60_000;

function events(result: Decided, what: string): readonly DomainEvent[] {
  if (!result.ok) throw new Error(`${what}: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** Tenants at `at`, jobs a second later, then the endpoints 10 ms apart, the edges at +5 min. */
export function writeSetup(history: History, at: Millis): void {
  const { world, rng } = history;
  world.tenants.forEach((tenantId, t) => {
    history.tenant(t, { type: 'CreateTenant', tenantId, name: `Tenant ${t}` }, at);
    const secretHash = rng.hex(64);
    history.tenant(
      t,
      { type: 'CreateApiKey', keyId: `key-${tenantId}`, name: 'ci', secretHash },
      at,
    );
  });
  world.jobs.forEach(({ jobId, tenantId, name }, j) =>
    history.job(j, { type: 'CreateJob', jobId, tenantId, name }, at + 1_000),
  );
  world.endpoints.forEach(({ endpointId, jobId, tenantId, config }, i) => {
    const now = at + 2_000 + i * 10;
    const metadata = history.metadata(i, { kind: 'user', id: `key-${tenantId}` });
    const command = { type: 'Register', endpointId, jobId, tenantId, config } as const;
    const registered = decide(command, history.state(i), { now, metadata });
    history.apply(i, events(registered, `register ${endpointId}`), now);
  });
  const edgesAt = at + 5 * MINUTE;
  const byStream = new Map(world.endpoints.map((e) => [e.streamId, e.index]));
  for (const tenantId of world.tenants) {
    const edges = world.edges
      .filter((e) => world.endpoints[e.downstream]?.tenantId === tenantId)
      .map((e) => e.edge);
    if (edges.length === 0) continue;
    const metadata = { tenantId, actor: { kind: 'user', id: `key-${tenantId}` } } as const;
    const graph = graphDecider.initialState();
    const command = { type: 'DeclareDependencies', tenantId, edges } as const;
    const decided = events(
      graphDecider.decide(command, graph, { now: edgesAt, metadata }),
      `edges of ${tenantId}`,
    );
    history.log.add(graphStream(tenantId), graph.version, decided, edgesAt);
    // The same events on each downstream's stream, in the same append (as the API does).
    for (const request of downstreamAppends(tenantId, decided)) {
      history.apply(byStream.get(request.streamId) ?? -1, request.events, edgesAt);
    }
  }
  world.endpoints.forEach((_, i) => history.reschedule(i, edgesAt));
}

/**
 * Over the span the history is expected to cover: 3 % of the jobs paused for 10–30 minutes, 1 %
 * paused until resumed 10–40 minutes later; the second tenant disabled for 5 minutes halfway.
 */
export function placeRareEvents(history: History, options: GeneratorOptions): void {
  const { world, rng } = history;
  const spanMs = (options.events / Math.max(1, world.runsPerSecond * 2.2)) * 1000;
  const when = () => options.start + rng.int(0, Math.max(1, spanMs));
  world.jobs.forEach((_, job) => {
    const roll = rng.next();
    if (roll < 0.03) {
      const from = when();
      const until = from + rng.int(10, 30) * MINUTE;
      history.later({
        at: from,
        kind: 'job',
        job,
        command: { type: 'PauseJob', until, reason: 'deploy' },
      });
    } else if (roll < 0.04) {
      const from = when();
      const command = { type: 'PauseJob', until: null, reason: 'incident' } as const;
      history.later({ at: from, kind: 'job', job, command });
      const back = from + rng.int(10, 40) * MINUTE;
      history.later({
        at: back,
        kind: 'job',
        job,
        command: { type: 'ResumeJob', reason: 'resolved' },
      });
    }
  });
  if (world.tenants.length > 1) {
    const from = options.start + spanMs / 2;
    history.later({
      at: from,
      kind: 'tenant',
      tenant: 1,
      command: { type: 'DisableTenant', reason: 'billing' },
    });
    const back = from + 5 * MINUTE;
    history.later({
      at: back,
      kind: 'tenant',
      tenant: 1,
      command: { type: 'EnableTenant', reason: 'paid' },
    });
  }
}
