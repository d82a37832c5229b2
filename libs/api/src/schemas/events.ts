import { catalogue, eventTypes, type EventType } from '@orrery/domain';
import { z } from 'zod';
import { Id, Instant, page, responseBody } from './common.js';

const isEventType = (name: string): name is EventType => Object.hasOwn(catalogue, name);

/** Splits `Paused,Resumed` (and repeated `type=` parameters) into names. */
const eventTypeNames = (value: unknown): unknown =>
  (Array.isArray(value) ? value : [value]).flatMap((item: unknown) =>
    typeof item === 'string'
      ? item
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== '')
      : [item],
  );

/**
 * Event types of the catalogue, comma-separated (`type=Paused,Resumed`: form
 * style, not exploded) or repeated (`type=Paused&type=Resumed`). The document
 * shows the list as an array of the catalogue's names; unknown names are
 * refused, named in the message.
 */
const EventTypeList = z.preprocess(
  (value, ctx) => {
    const names = eventTypeNames(value);
    const unknown = Array.isArray(names)
      ? names.filter((name) => typeof name !== 'string' || !isEventType(name))
      : [];
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown event type ${unknown.join(', ')}` });
    }
    return names;
  },
  z
    .array(z.enum(eventTypes))
    .min(1, 'name at least one event type')
    .max(100)
    .describe('Only events of these types of the catalogue (e.g. `Paused,Resumed`)'),
);

const Position = z
  .string()
  .regex(/^\d{1,15}$/, 'a log position (a non-negative integer)')
  .transform(Number);

export const ActorKindSchema = z.enum(['user', 'planner', 'cascade', 'system']);

/** The filters shared by the page and the live tail. */
const eventFilters = {
  streamId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Only this stream, e.g. `job-<tenant>.nightly`'),
  endpointId: Id.optional().describe("Only the endpoint's stream (`endpoint-<tenant>.<id>`)"),
  jobId: Id.optional().describe("The job's stream and the streams of its endpoints"),
  type: EventTypeList.optional(),
  actorKind: ActorKindSchema.optional().describe('Only events caused by this kind of actor'),
  from: Instant.optional().describe('Recorded at or after this instant (not after `to`)'),
  to: Instant.optional().describe('Recorded before this instant (not before `from`)'),
  after: Position.optional().describe(
    "Position cursor (exclusive): only events after it; pass the previous page's `nextCursor`",
  ),
};

/** Lists in the query string are comma-separated: `type=Paused,Resumed`. */
const formNotExploded = { style: 'form', explode: false } as const;

const fromBeforeTo = (query: { from?: string | undefined; to?: string | undefined }) =>
  query.from === undefined ||
  query.to === undefined ||
  Date.parse(query.from) <= Date.parse(query.to);
const fromBeforeToError = { message: 'must not be before from', path: ['to'] };

export const EventsQuery = z
  .strictObject({
    ...eventFilters,
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('Most events in the page (a page is also bounded in bytes)'),
  })
  .refine(fromBeforeTo, fromBeforeToError)
  .meta(formNotExploded);

const sizeText = (bytes: number) =>
  bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MiB`
    : bytes % 1024 === 0
      ? `${bytes / 1024} KiB`
      : `${bytes} bytes`;

/** The OpenAPI description of GET /v1/events, stating the page bound the server applies. */
export const eventsPageDescription = (maxBytes: number): string =>
  `A page holds at most \`limit\` events and at most ${sizeText(maxBytes)} of JSON, whichever ` +
  'comes first; an event larger than that comes alone in its page. `nextCursor` is set while ' +
  'more events follow: pass it as `after` until it is null to read every matching event ' +
  'exactly once, in position order.';

export const EventStreamQuery = z
  .strictObject(eventFilters)
  .refine(fromBeforeTo, fromBeforeToError)
  .meta(formNotExploded);

export const EventStreamHeaders = z.object({
  'last-event-id': Position.optional().describe(
    'Resume after this position (sent by EventSource on reconnect; wins over `after`)',
  ),
});

export const EventMetadataSchema = z
  .object({
    tenantId: z.string(),
    actor: z.object({ kind: ActorKindSchema, id: z.string() }),
    causationId: z.string().optional(),
    correlationId: z.string().optional(),
    traceparent: z.string().optional(),
  })
  .meta({ id: 'EventMetadata', description: 'Who caused an event and how it chains to others' });

export const EventSchema = responseBody(
  z
    .object({
      position: z.number().int().describe('Global position in the log'),
      streamId: z.string(),
      streamVersion: z.number().int(),
      type: z.enum(eventTypes).describe('A type of the event catalogue'),
      data: z
        .record(z.string(), z.unknown())
        .describe('The data of the type (catalogue schema); secret values read "***"'),
      metadata: EventMetadataSchema,
      recordedAt: Instant,
    })
    .describe('An event of the log, as recorded (secrets redacted)'),
  'Event',
  [
    {
      position: 1160,
      streamId: 'endpoint-default.demo-pack',
      streamVersion: 57,
      type: 'Paused',
      data: { until: null, reason: 'the packing line is being moved' },
      metadata: {
        tenantId: 'default',
        actor: { kind: 'user', id: 'key:3be2c1d0a9f4' },
        correlationId: 'req-3b',
      },
      recordedAt: '2026-03-02T09:03:18.420Z',
    },
  ],
);
export type EventView = z.infer<typeof EventSchema>;

export const EventPageSchema = page(EventSchema).meta({
  id: 'EventPage',
  description: '`nextCursor` is the last position of the page, null when no more events follow',
});

/** The live tail as documented: the body is a stream of Server-Sent Events. */
export const EventStreamResponse = {
  description:
    'Server-Sent Events: each event is `id: <position>`, `event: <type>`, `data: <Event JSON>`; ' +
    'a `: heartbeat` comment every 15 s. Reconnect with `Last-Event-ID` to resume.',
  content: {
    'text/event-stream': {
      schema: z.string().meta({
        example:
          'id: 42\nevent: Paused\ndata: {"position":42,"streamId":"endpoint-acme.e1","type":"Paused",…}\n\n',
      }),
    },
  },
};
