import type { DomainEvent } from '../events/event.js';
import type { AppendRequest } from '../ports/event-store.js';
import { endpointStream } from '../streams.js';

/**
 * The appends that record a graph decision on the downstreams too: each `DependencyDeclared` or
 * `DependencyRemoved` of `events` goes, the same event, on its downstream's stream — the input
 * of that endpoint's gate, fan-in and breaker decisions. Append them in the same `appendMany` as
 * the graph stream's own request, so both or neither land.
 */
export function downstreamAppends(
  tenantId: string,
  events: readonly DomainEvent[],
): AppendRequest[] {
  const byDownstream = new Map<string, DomainEvent[]>();
  for (const event of events) {
    if (event.type !== 'DependencyDeclared' && event.type !== 'DependencyRemoved') continue;
    const id = event.data.downstreamEndpointId;
    byDownstream.set(id, [...(byDownstream.get(id) ?? []), event]);
  }
  return [...byDownstream].map(([id, recorded]) => ({
    streamId: endpointStream(tenantId, id),
    expectedVersion: 'any' as const,
    events: recorded,
  }));
}
