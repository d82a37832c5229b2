import {
  ENDPOINT_STATE_VERSION,
  endpointDecider,
  endpointStream,
  foldWith,
  toIso,
  type EndpointState,
  type EndpointView,
  type EventStore,
  type HealthWindow,
  type Millis,
  type NeighbourView,
  type PlannerContext,
  type RecordedEvent,
  type RefusalView,
  type ResponseSummary,
} from '@orrery/domain';
import { endpointSnapshot } from '@orrery/scheduling';
import { sql } from 'kysely';
import type { SchedulingDb } from '@orrery/scheduling';
import { endpointView, responseSummary } from './views.js';

/** How far back a context reaches: events of the endpoint's stream, responses kept, neighbours. */
const TAIL_EVENTS = 200;
const RECENT_RESPONSES = 20;
const MAX_SIBLINGS = 20;
const MAX_NEIGHBOURS = 20;
const HEALTH_WINDOWS_MS = [15 * 60_000, 60 * 60_000, 24 * 60 * 60_000];

/**
 * Reads what one planner session may know (see {@link PlannerContext}) from the read models
 * and the log: the endpoint's state (snapshot + tail) and recent responses, its health from
 * `runs`, siblings from `schedule`, upstreams from its incoming edges, downstreams from
 * `cascade_edges`, and the latest response of each from the log by position.
 */
export class ContextReader {
  constructor(private readonly deps: { db: SchedulingDb; store: EventStore }) {}

  /** The endpoint's current state: the read model's copy and the log's tail after it. */
  async state(tenantId: string, endpointId: string): Promise<EndpointState> {
    const snapshot = await endpointSnapshot(this.deps.db, tenantId, endpointId);
    const from = snapshot ?? endpointDecider.initialState();
    const tail = await this.deps.store.readStream(endpointStream(tenantId, endpointId), {
      fromVersion: from.version + 1,
    });
    return foldWith(endpointDecider, tail, from);
  }

  /**
   * The context of a session on `state`'s endpoint, and the states of every endpoint in it as
   * the read model holds them (for dry runs of the arbiter during the session).
   */
  async read(
    state: EndpointState,
    trigger: { runId: string; position: number },
    now: Millis,
  ): Promise<{ context: PlannerContext; states: ReadonlyMap<string, EndpointState> }> {
    const { tenantId, endpointId, jobId } = state;
    const recent = await this.recentResponses(
      tenantId,
      endpointId,
      state.version,
      RECENT_RESPONSES,
    );
    const incoming = Object.values(state.cascade.edges).map((e) => e.edge);
    const outgoing = await sql<{
      edge_id: string;
      downstream_id: string;
      definition: { mode: 'trigger' | 'gate' };
    }>`
      select edge_id, downstream_id, definition from cascade_edges
      where tenant_id = ${tenantId} and upstream_id = ${endpointId}
      order by edge_id limit ${MAX_NEIGHBOURS}`.execute(this.deps.db);
    const siblingIds = (
      await this.deps.db
        .selectFrom('schedule')
        .select('endpoint_id')
        .where('tenant_id', '=', tenantId)
        .where('job_id', '=', jobId)
        .where('endpoint_id', '!=', endpointId)
        .orderBy('endpoint_id')
        .limit(MAX_SIBLINGS)
        .execute()
    ).map((r) => r.endpoint_id);
    const upstreams = incoming.slice(0, MAX_NEIGHBOURS).map((e) => ({
      id: e.upstreamEndpointId,
      edgeId: e.edgeId,
      mode: e.mode,
    }));
    const downstreams = outgoing.rows.map((r) => ({
      id: r.downstream_id,
      edgeId: r.edge_id,
      mode: r.definition.mode,
    }));
    const { views, states } = await this.views(
      tenantId,
      [...siblingIds, ...upstreams.map((u) => u.id), ...downstreams.map((d) => d.id)],
      now,
    );
    const neighbour = (n: {
      id: string;
      edgeId: string;
      mode: 'trigger' | 'gate';
    }): NeighbourView[] => {
      const view = views.get(n.id);
      return view ? [{ ...view, edgeId: n.edgeId, mode: n.mode }] : [];
    };
    const context = {
      tenantId,
      now: toIso(now),
      endpoint: {
        ...endpointView(state, recent.at(-1) ?? null, now),
        recent,
        health: await this.health(tenantId, endpointId, now),
      },
      siblings: siblingIds.flatMap((id) => views.get(id) ?? []),
      upstreams: upstreams.flatMap(neighbour),
      downstreams: downstreams.flatMap(neighbour),
      refusals: await this.refusals(tenantId, endpointId),
      trigger,
    };
    // The view the proposals rest on: the newest response (or pause) the context read.
    const positions = [
      trigger.position,
      state.steering.pausePosition,
      ...recent.map((r) => r.position),
      ...[...context.siblings, ...context.upstreams, ...context.downstreams].map(
        (v) => v.latest?.position ?? 0,
      ),
    ];
    return {
      context: { ...context, basedOnPosition: Math.max(...positions) },
      states: new Map([...states, [endpointId, state]]),
    };
  }

  /** An endpoint's latest responses, oldest first, from the last events of its stream. */
  async recentResponses(
    tenantId: string,
    endpointId: string,
    version: number,
    limit: number,
  ): Promise<ResponseSummary[]> {
    const events = await this.deps.store.readStream(endpointStream(tenantId, endpointId), {
      fromVersion: Math.max(1, version - TAIL_EVENTS + 1),
    });
    return events
      .flatMap((e) => (e.type === 'ResponseRecorded' && !e.data.test ? [responseSummary(e)] : []))
      .slice(-limit);
  }

  /** Neighbours' states from the read model, each with its latest response from the log. */
  private async views(tenantId: string, ids: readonly string[], now: Millis) {
    const unique = [...new Set(ids)];
    const views = new Map<string, EndpointView>();
    const states = new Map<string, EndpointState>();
    if (unique.length === 0) return { views, states };
    const rows = await this.deps.db
      .selectFrom('schedule')
      .select(['endpoint_id', 'state', 'state_version'])
      .where('tenant_id', '=', tenantId)
      .where('endpoint_id', 'in', unique)
      .execute();
    const latest = await sql<{ endpoint_id: string; response_position: number }>`
      select distinct on (endpoint_id) endpoint_id, response_position from runs
      where tenant_id = ${tenantId} and endpoint_id in (${sql.join(unique)})
        and response_position is not null and not test
      order by endpoint_id, response_position desc`.execute(this.deps.db);
    const responses = new Map<string, ResponseSummary>();
    await Promise.all(
      latest.rows.map(async (r) => {
        const event = await this.eventAt(Number(r.response_position));
        if (event?.type === 'ResponseRecorded')
          responses.set(r.endpoint_id, responseSummary(event));
      }),
    );
    for (const row of rows) {
      // A copy of another schema version is never trusted: fold the stream instead.
      const state =
        row.state_version === ENDPOINT_STATE_VERSION
          ? (row.state as EndpointState)
          : await this.state(tenantId, row.endpoint_id);
      if (state.status !== 'active' || !state.config) continue;
      views.set(row.endpoint_id, endpointView(state, responses.get(row.endpoint_id) ?? null, now));
      states.set(row.endpoint_id, state);
    }
    return { views, states };
  }

  private async eventAt(position: number): Promise<RecordedEvent | undefined> {
    const [event] = await this.deps.store.readAll({ after: position - 1, limit: 1 });
    return event?.position === position ? event : undefined;
  }

  private async health(tenantId: string, endpointId: string, now: Millis): Promise<HealthWindow[]> {
    return Promise.all(
      HEALTH_WINDOWS_MS.map(async (windowMs) => {
        const row = await sql<{ runs: string; failures: string; p50: number | null }>`
          select count(*) as runs,
            count(*) filter (where status = 'failed') as failures,
            percentile_cont(0.5) within group (order by duration_ms) as p50
          from runs
          where tenant_id = ${tenantId} and endpoint_id = ${endpointId} and not test
            and finished_at > ${new Date(now - windowMs)}`.execute(this.deps.db);
        const r = row.rows[0];
        return {
          windowMs,
          runs: Number(r?.runs ?? 0),
          failures: Number(r?.failures ?? 0),
          p50DurationMs: r?.p50 === null || r?.p50 === undefined ? null : Math.round(r.p50),
        };
      }),
    );
  }

  /** The planner's recent refusals for proposals made from this endpoint (the conflicts read model). */
  private async refusals(tenantId: string, endpointId: string): Promise<RefusalView[]> {
    const rows = await sql<{
      proposal_id: string;
      endpoint_id: string;
      rule: string;
      detail: string;
      recorded_at: Date;
    }>`select proposal_id, endpoint_id, rule, detail, recorded_at from conflicts
       where tenant_id = ${tenantId} and from_endpoint_id = ${endpointId} and source = 'planner'
       order by position desc limit 10`.execute(this.deps.db);
    return rows.rows.map((r) => ({
      proposalId: r.proposal_id,
      targetEndpointId: r.endpoint_id,
      rule: r.rule,
      detail: r.detail,
      at: new Date(r.recorded_at).toISOString(),
    }));
  }
}
