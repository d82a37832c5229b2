import {
  endpointDecider,
  endpointStream,
  type EndpointConfigInput,
  type EventOf,
  type EventStore,
  type RecordedEvent,
} from '@orrery/domain';
import { handleCommand } from '@orrery/event-store';

/**
 * Registers `endpointId` calling `<targetUrl>/<endpointId>`: an hourly baseline that starts at
 * once, so any further run in a test comes from a hint.
 */
export async function registerEndpoint(
  store: EventStore,
  targetUrl: string,
  { tenantId, endpointId, jobId }: { tenantId: string; endpointId: string; jobId: string },
  config: Partial<EndpointConfigInput> = {},
): Promise<void> {
  const result = await handleCommand(
    store,
    endpointDecider,
    endpointStream(tenantId, endpointId),
    {
      type: 'Register',
      endpointId,
      jobId,
      tenantId,
      config: {
        name: endpointId,
        request: { url: `${targetUrl}/${endpointId}` },
        baseline: { kind: 'interval', everyMs: 60 * 60_000 },
        start: { kind: 'immediately' },
        ...config,
      },
    },
    { now: Date.now, metadata: { tenantId, actor: { kind: 'user', id: 'test' } } },
  );
  if (!result.ok) throw new Error(`registering ${endpointId}: ${result.error.message}`);
}

/** The events of one type in a stream. */
export const eventsOf = async <T extends RecordedEvent['type']>(
  store: EventStore,
  stream: string,
  type: T,
) =>
  (await store.readStream(stream)).filter((e): e is RecordedEvent & EventOf<T> => e.type === type);
