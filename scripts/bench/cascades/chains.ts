/**
 * The cascades phase's endpoints: `chains` four-stage chains, head → s2 → s3 → s4. Each head
 * runs on an interval; s2…s4 are trigger-only (`baseline: none`), each with one edge from the
 * stage before it (default condition `ok`). Edges are declared the way the API declares them:
 * decided by the tenant's graph decider and appended in one `appendMany` to the graph stream and
 * to each downstream's stream.
 */
import {
  downstreamAppends,
  edgeOf,
  endpointDecider,
  endpointStream,
  graphDecider,
  graphStream,
  makeEvent,
  toIso,
  type AppendRequest,
  type EndpointConfigInput,
  type GraphState,
} from '@orrery/domain';
import { handleCommand } from '@orrery/event-store';
import { sql } from 'kysely';
import type { OrreryPipeline } from '../orrery/pipeline.js';
import { waitUntil } from '../time.js';

/** Stages per chain: the head and three downstreams. */
export const CHAIN_STAGES = 4;

export const TENANT = 'bench';
const metadata = { tenantId: TENANT, actor: { kind: 'system' as const, id: 'bench' } };

/** Endpoint id of stage `stage` (1 = the head) of chain `chain`. */
export const stageId = (chain: number, stage: number): string =>
  stage === 1 ? `c${chain}` : `c${chain}-s${stage}`;

const registration = (
  endpointId: string,
  config: EndpointConfigInput,
  registeredAt: number,
): AppendRequest => ({
  streamId: endpointStream(TENANT, endpointId),
  expectedVersion: 0,
  events: [
    makeEvent(
      'EndpointRegistered',
      { endpointId, jobId: 'bench', tenantId: TENANT, config, registeredAt: toIso(registeredAt) },
      metadata,
    ),
  ],
});

async function appendInBatches(
  pipeline: OrreryPipeline,
  requests: readonly AppendRequest[],
  signal: AbortSignal,
): Promise<void> {
  for (let from = 0; from < requests.length && !signal.aborted; from += 500) {
    await pipeline.runtime.store.appendMany(requests.slice(from, from + 500));
  }
}

/** Declares every edge of the chains, 50 chains per graph decision. */
async function declareChainEdges(
  pipeline: OrreryPipeline,
  chains: number,
  signal: AbortSignal,
): Promise<void> {
  const { store } = pipeline.runtime;
  const stream = graphStream(TENANT);
  let state: GraphState = (await store.readStream(stream)).reduce(
    graphDecider.evolve,
    graphDecider.initialState(),
  );
  for (let from = 0; from < chains && !signal.aborted; from += 50) {
    const edges = [];
    for (let chain = from; chain < Math.min(from + 50, chains); chain += 1) {
      for (let stage = 2; stage <= CHAIN_STAGES; stage += 1) {
        edges.push(edgeOf(stageId(chain, stage), { upstream: stageId(chain, stage - 1) }));
      }
    }
    const decided = graphDecider.decide(
      { type: 'DeclareDependencies', tenantId: TENANT, edges },
      state,
      { now: Date.now(), metadata },
    );
    if (!decided.ok) throw new Error(`declaring the chains' edges: ${decided.error.message}`);
    // The same events on each downstream's stream: the input of its fan-in decisions.
    await store.appendMany([
      { streamId: stream, expectedVersion: state.version, events: decided.value },
      ...downstreamAppends(TENANT, decided.value),
    ]);
    state = decided.value.reduce(graphDecider.evolve, state);
  }
}

async function countOf(pipeline: OrreryPipeline, table: 'schedule' | 'cascade_edges') {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from ${sql.table(table)} /* bench */`.execute(pipeline.runtime.db);
  return rows[0]?.n ?? 0;
}

async function waitForCount(
  pipeline: OrreryPipeline,
  table: 'schedule' | 'cascade_edges',
  count: number,
  who: string,
  signal: AbortSignal,
): Promise<void> {
  const done = await waitUntil(async () => (await countOf(pipeline, table)) >= count, {
    timeoutMs: 60_000,
    everyMs: 100,
    signal,
  });
  if (!done && !signal.aborted) {
    throw new Error(`${who} did not write ${count} ${table} rows within 60 s`);
  }
}

/**
 * Registers the chains' downstreams and declares their edges, waits until the projection and
 * the cascade processor have taken them in, then registers the heads: head i first runs at
 * `firstRunAt(i)`, then every `everyMs`.
 */
export async function registerChains(
  pipeline: OrreryPipeline,
  targetUrl: string,
  chains: number,
  everyMs: number,
  firstRunAt: (chain: number) => number,
  signal: AbortSignal,
): Promise<void> {
  const downstreams: AppendRequest[] = [];
  const now = Date.now();
  for (let chain = 0; chain < chains; chain += 1) {
    for (let stage = 2; stage <= CHAIN_STAGES; stage += 1) {
      const id = stageId(chain, stage);
      downstreams.push(
        registration(
          id,
          {
            name: `chain ${chain} stage ${stage}`,
            request: { url: `${targetUrl}/c/${chain}/s${stage}` },
            baseline: { kind: 'none' },
          },
          now,
        ),
      );
    }
  }
  await appendInBatches(pipeline, downstreams, signal);
  await declareChainEdges(pipeline, chains, signal);
  const edges = chains * (CHAIN_STAGES - 1);
  await waitForCount(pipeline, 'cascade_edges', edges, 'the cascade processor', signal);
  await waitForCount(pipeline, 'schedule', downstreams.length, 'the projection', signal);
  const heads: AppendRequest[] = [];
  for (let chain = 0; chain < chains; chain += 1) {
    heads.push(
      registration(
        stageId(chain, 1),
        {
          name: `chain ${chain} head`,
          request: { url: `${targetUrl}/c/${chain}/s1` },
          baseline: { kind: 'interval', everyMs },
        },
        firstRunAt(chain),
      ),
    );
  }
  await appendInBatches(pipeline, heads, signal);
  await waitForCount(pipeline, 'schedule', downstreams.length + chains, 'the projection', signal);
}

/**
 * Pauses every head through the command handler (as the API's pause does), so no chain starts
 * after the window and the ones in progress can drain: a chain that never completes is then
 * lost, not merely late.
 */
export async function pauseHeads(pipeline: OrreryPipeline, chains: number): Promise<void> {
  const { store } = pipeline.runtime;
  for (let from = 0; from < chains; from += 20) {
    const batch = Array.from({ length: Math.min(20, chains - from) }, (_, i) => from + i);
    await Promise.all(
      batch.map(async (chain) => {
        const result = await handleCommand(
          store,
          endpointDecider,
          endpointStream(TENANT, stageId(chain, 1)),
          { type: 'Pause', until: null, reason: 'bench: the window is over' },
          { now: Date.now, metadata },
        );
        if (!result.ok) throw new Error(`pausing chain ${chain}: ${result.error.message}`);
      }),
    );
  }
}
