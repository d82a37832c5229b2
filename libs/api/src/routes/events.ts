import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { RecordedEvent } from '@orrery/domain';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProblemError } from '../problem.js';
import { DEFAULT_EVENT_PAGE_BYTES, readEventPage } from '../reads/event-page.js';
import { eventFilter, eventMatcher, eventView } from '../reads/events.js';
import { problemResponses } from '../schemas/common.js';
import {
  EventPageSchema,
  eventsPageDescription,
  EventsQuery,
  EventStreamHeaders,
  EventStreamQuery,
  EventStreamResponse,
} from '../schemas/events.js';

/** A comment line keeps proxies and clients from timing the stream out. */
const HEARTBEAT_MS = 15_000;
/** Each tail holds a subscription (and its LISTEN connection): bound them per tenant. */
const MAX_STREAMS_PER_TENANT = 10;
/**
 * Events a tail reads from the log at once (of every tenant, filtered here). Recorded
 * bodies may be megabytes each, so a tail that catches up holds a few, not a hundred.
 */
const TAIL_BATCH_SIZE = 16;

const frame = (event: RecordedEvent): string =>
  `id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(eventView(event))}\n\n`;

/** The audit log: a filtered page of the tenant's events, and a live tail over SSE. */
export const eventsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store, events } = app.deps;
  const maxBytes = app.deps.eventPageBytes ?? DEFAULT_EVENT_PAGE_BYTES;
  /** Open tails: ended when the app closes, so `close()` never waits on a client. */
  const open = new Map<ServerResponse, string>();
  app.addHook('preClose', async () => {
    for (const raw of open.keys()) raw.destroy();
  });

  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        operationId: 'listEvents',
        summary: "List the tenant's events (ascending by position, cursor-paginated)",
        description:
          'Pages through the audit log, filtered by stream, endpoint, job, event types, actor ' +
          'kind and a time window (`from` must not be after `to`). Secret values read "***". ' +
          eventsPageDescription(maxBytes),
        querystring: EventsQuery,
        response: { 200: EventPageSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { after, limit, ...filters } = request.query;
      const filter = await eventFilter(events, request.tenantId, filters);
      const page = await readEventPage(events, filter, { after, limit, maxBytes });
      const last = page.events.at(-1);
      return {
        items: page.events.map(eventView),
        nextCursor: page.more && last ? String(last.position) : null,
      };
    },
  );

  app.get(
    '/events/stream',
    {
      schema: {
        tags: ['events'],
        operationId: 'streamEvents',
        summary: "Follow the tenant's new events live (Server-Sent Events)",
        description:
          'Starts after `Last-Event-ID`, else `after`, else the current head. Same filters as ' +
          'GET /v1/events, applied to each new event.',
        querystring: EventStreamQuery,
        headers: EventStreamHeaders,
        response: { 200: EventStreamResponse, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { after, ...filters } = request.query;
      const tenantStreams = [...open.values()].filter((t) => t === request.tenantId).length;
      if (tenantStreams >= MAX_STREAMS_PER_TENANT) {
        throw new ProblemError(
          'rate_limited',
          `at most ${MAX_STREAMS_PER_TENANT} event streams may be open per tenant`,
        );
      }
      const matches = eventMatcher(await eventFilter(events, request.tenantId, filters));
      const start = request.headers['last-event-id'] ?? after ?? (await store.headPosition());

      // From here on the handler owns the socket: Fastify neither serializes nor ends it.
      reply.hijack();
      const raw = reply.raw;
      open.set(raw, request.tenantId);
      // Keep what the hooks set (helmet, rate limit): a hijacked reply does not send them.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) raw.setHeader(name, value);
      }
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(`: following after position ${start}\n\n`);

      const closed = new AbortController();
      const write = async (chunk: string) => {
        if (raw.write(chunk) || closed.signal.aborted) return;
        // A slow reader holds the subscription back instead of buffering without bound.
        await once(raw, 'drain', { signal: closed.signal }).catch(() => {});
      };
      const subscription = store.subscribe({
        after: start,
        batchSize: TAIL_BATCH_SIZE,
        onEvents: async (batch) => {
          for (const event of batch) {
            if (closed.signal.aborted) return;
            if (matches(event)) await write(frame(event));
          }
        },
        onError: (error) => {
          request.log.error({ err: error }, 'event stream subscription failed');
          raw.end();
        },
      });
      // A reader that is behind needs no heartbeat: events are already waiting for it.
      const heartbeat = setInterval(() => {
        if (!raw.writableNeedDrain) raw.write(': heartbeat\n\n');
      }, HEARTBEAT_MS);
      const stop = () => {
        closed.abort();
        clearInterval(heartbeat);
        open.delete(raw);
        subscription.stop().catch((error: unknown) => {
          request.log.error({ err: error }, 'event stream subscription did not stop cleanly');
        });
      };
      // The client may have gone while the filter was being resolved: then stop at once.
      if (raw.destroyed) stop();
      else raw.once('close', stop);
    },
  );
};
