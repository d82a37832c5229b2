import {
  downstreamAppends,
  edgeOf,
  graphDecider,
  graphStream,
  type DependencySpecInput,
  type EventStore,
} from '@orrery/domain';

/**
 * Declares edges into `downstream` the way the API does: decided by the tenant's graph decider
 * and appended atomically to the graph stream and the downstream's stream.
 */
export async function declareEdges(
  store: EventStore,
  tenantId: string,
  downstream: string,
  specs: readonly DependencySpecInput[],
): Promise<void> {
  const stream = graphStream(tenantId);
  const events = await store.readStream(stream);
  const state = events.reduce(graphDecider.evolve, graphDecider.initialState());
  const decided = graphDecider.decide(
    { type: 'DeclareDependencies', tenantId, edges: specs.map((s) => edgeOf(downstream, s)) },
    state,
    { now: Date.now(), metadata: { tenantId, actor: { kind: 'user', id: 'test' } } },
  );
  if (!decided.ok) throw new Error(decided.error.message);
  await store.appendMany([
    { streamId: stream, expectedVersion: state.version, events: decided.value },
    ...downstreamAppends(tenantId, decided.value),
  ]);
}
