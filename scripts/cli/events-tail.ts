/**
 * What `orrery events tail` does (its command line: events-command.ts): the tenant's events
 * matching the filters of `GET /v1/events` (stream, endpoint, job, types, actor kind, a time
 * window, a position cursor), one per line; with `--follow`, then every new matching event as
 * it is appended, until Ctrl-C, SIGTERM or `--for` milliseconds.
 */
import {
  DEFAULT_EVENT_PAGE_BYTES,
  eventFilter,
  eventMatcher,
  EventsQuery,
  eventView,
  historyStreams,
  readEventPage,
  readLatestEvents,
  summarizeEvent,
} from '@orrery/api';
import type { RecordedEvent } from '@orrery/domain';
import type { Command } from 'commander';
import { usageError } from './program.js';
import { issueMessage, withReadDeps, type ReadDeps } from './read-command.js';

export interface TailOptions {
  readonly stream?: string;
  readonly endpoint?: string;
  readonly job?: string;
  readonly type?: string;
  readonly actor?: string;
  readonly since?: string;
  readonly until?: string;
  readonly after?: string;
  readonly limit: string;
  readonly follow?: boolean;
  readonly for?: string;
  readonly tenant: string;
  readonly json?: boolean;
}

/** Events a follower reads from the log at once: recorded bodies may be megabytes each. */
const FOLLOW_BATCH = 16;

/** The command line's flags as the query of `GET /v1/events` names them. */
const queryKeys = {
  stream: 'streamId',
  endpoint: 'endpointId',
  job: 'jobId',
  type: 'type',
  actor: 'actorKind',
  since: 'from',
  until: 'to',
  after: 'after',
  limit: 'limit',
} as const;
const flagOf = Object.fromEntries(
  Object.entries(queryKeys).map(([flag, key]) => [key, `--${flag}`]),
);

const line = (event: RecordedEvent, json: boolean): string =>
  json
    ? JSON.stringify({ ...eventView(event), summary: summarizeEvent(event) })
    : `#${event.position}  ${event.recordedAt}  ${event.type.padEnd(22)}  ${event.streamId}  ` +
      `${event.metadata.actor.kind}:${event.metadata.actor.id}  ${summarizeEvent(event)}`;

/** Prints new matching events after `after` until a signal or `forMs`; answers the exit code. */
async function follow(
  deps: ReadDeps,
  after: number,
  matches: (event: RecordedEvent) => boolean,
  { json, forMs }: { json: boolean; forMs: number | undefined },
): Promise<number> {
  let failure: unknown = null;
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const timer = forMs === undefined ? undefined : setTimeout(stop, forMs);
  // Kept until the process ends, and `on`, not `once`: tsx relays the signal the process group
  // already got, and that second one must not kill the process while it closes its connections.
  process.on('SIGINT', stop).on('SIGTERM', stop);
  const subscription = deps.store.subscribe({
    after,
    batchSize: FOLLOW_BATCH,
    onEvents: async (batch) => {
      for (const event of batch) if (matches(event)) console.log(line(event, json));
    },
    onError: (error) => {
      failure = error;
      stop();
    },
  });
  console.error(`following after position ${after} (Ctrl-C to stop)`);
  await stopped;
  clearTimeout(timer);
  await subscription.stop();
  if (failure === null) return 0;
  console.error(`orrery: following the log failed: ${String(failure)}`);
  return 1;
}

/** Prints the matching events (then follows the log, with `--follow`); answers the exit code. */
export async function runTail(command: Command, options: TailOptions): Promise<number> {
  const forMs = options.for === undefined ? undefined : Number(options.for);
  if (forMs !== undefined && (!options.follow || !Number.isInteger(forMs) || forMs < 1)) {
    usageError(command, '--for: a number of milliseconds, with --follow');
  }
  const raw = Object.fromEntries(
    (Object.keys(queryKeys) as (keyof typeof queryKeys)[]).flatMap((flag) => {
      const value = options[flag];
      return value === undefined ? [] : [[queryKeys[flag], value]];
    }),
  );
  const query = EventsQuery.safeParse(raw);
  if (!query.success) usageError(command, issueMessage(query.error.issues, flagOf));
  const { after, limit, ...filters } = query.data;
  const { tenant } = options;
  const json = options.json === true;
  return withReadDeps(tenant, async (deps) => {
    // An unknown endpoint or job is an error, not an empty tail.
    if (filters.endpointId)
      await historyStreams(deps.events, tenant, `endpoint:${filters.endpointId}`);
    if (filters.jobId) await historyStreams(deps.events, tenant, `job:${filters.jobId}`);
    const filter = await eventFilter(deps.events, tenant, filters);
    const head = await deps.store.headPosition();
    if (after === undefined) {
      // The last `limit` matching events up to the head, then (following) what comes after it.
      const { events } = await readLatestEvents(deps.events, filter, { limit, upTo: head });
      for (const event of events) console.log(line(event, json));
    } else if (!options.follow) {
      let cursor = after;
      for (let printed = 0; printed < limit;) {
        const page = await readEventPage(deps.events, filter, {
          after: cursor,
          limit: limit - printed,
          maxBytes: DEFAULT_EVENT_PAGE_BYTES,
        });
        for (const event of page.events) console.log(line(event, json));
        printed += page.events.length;
        cursor = page.events.at(-1)?.position ?? cursor;
        if (!page.more) break;
      }
    }
    if (!options.follow) return 0;
    return follow(deps, after ?? head, eventMatcher(filter), { json, forMs });
  });
}
