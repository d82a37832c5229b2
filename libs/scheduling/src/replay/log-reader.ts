import {
  catalogue,
  parseEvent,
  placeEvent,
  readTrustedEvent,
  toIso,
  type RecordedEvent,
} from '@orrery/domain';
import { connectionDefaults } from '@orrery/postgres';
import pg from 'pg';

/** An event the catalogue could not read: its stream is set aside, as the live projection does. */
export interface UnreadableEvent {
  readonly position: number;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly tenantId: string;
  readonly error: string;
}

/** A stretch of the log, in position order. */
export interface LogChunk {
  readonly events: readonly RecordedEvent[];
  readonly unreadable: readonly UnreadableEvent[];
  /** The last position the chunk covers (read or not: positions may have gaps). */
  readonly through: number;
  /** Time spent parsing the chunk's JSON and reading its events from it (the query excluded). */
  readonly decodeMs: number;
}

export interface LogReadOptions {
  /** Read events after this position … */
  readonly after: number;
  /** … through this one. */
  readonly through: number;
  /** Positions per query (yielded in smaller pieces: see SPANS_PER_PIECE). Default 20 000. */
  readonly chunk?: number;
  /** Chunks queried ahead of the one being folded, each on a connection. Default 1. */
  readonly ahead?: number;
  /**
   * Check every event against the catalogue's schemas (as the live projection's reads do).
   * Default false: the events were checked when made, and only their type and version are
   * (see `readTrustedEvent`), which makes a rebuild faster (the replay bench measures both).
   */
  readonly verify?: boolean;
  /**
   * Read one of `count` parts of the log: the endpoint streams whose id hashes to `index`, the
   * planner streams in part 0, and every other stream (jobs, tenants: few) in every part — so
   * each part folds its endpoints completely, beside the holds they are written with.
   */
  readonly partition?: { readonly index: number; readonly count: number };
}

/** A row as the query's JSON spells it. */
type Row = [
  position: number,
  streamId: string,
  streamVersion: number,
  type: string,
  typeVersion: number,
  data: unknown,
  /** Null when a trusted read leaves it out (see {@link LEFT_OUT}) … */
  metadata: unknown,
  recordedAt: number,
  /** … and then the row's tenant (null otherwise). */
  leftOutFor: string | null,
];

/**
 * What a trusted read leaves out of an event of the current version, because no fold of the
 * scheduling projection reads it (memory-fold.unit.test.ts folds a recorded history whose left-out
 * parts throw when read, and test/determinism.int.test.ts compares replays with the live read
 * models):
 * - a response's body and headers: about half of a `ResponseRecorded`'s data;
 * - an endpoint event's metadata, a third of its bytes. The fold takes the tenant from the row's
 *   `tenant_id`, the store's copy of `metadata.tenantId`. Cascade events keep theirs: their
 *   `traceparent` goes into the cascade's state.
 *
 * Measured with the replay bench's log: the chunk's JSON is 42% shorter, Postgres builds it in
 * about 35% less time and `JSON.parse` reads it in 40% less. `--verify` reads every event whole,
 * and so does any event that is not taken as it is (an older version to upcast, an unknown type):
 * its chunk reads it again in full.
 */
export const LEFT_OUT = {
  data: { ResponseRecorded: ['body', 'headers'] },
  metadataOfEndpointEventsBut: ['CascadeTriggered', 'UpstreamObserved'],
} as const;

const quoted = (names: readonly string[]) => names.map((name) => `'${name}'`).join(', ');
const RECORDED_AT_MS = 'floor(extract(epoch from recorded_at) * 1000)::bigint';
const METADATA_LEFT_OUT = `stream_id like 'endpoint-%' and jsonb_typeof(metadata) = 'object'
  and type not in (${quoted(LEFT_OUT.metadataOfEndpointEventsBut)})`;
const WHOLE = `position, stream_id, stream_version, type, type_version, data, metadata,
  ${RECORDED_AT_MS}, null`;
const SLIM = `position, stream_id, stream_version, type, type_version,
  case when type = 'ResponseRecorded'
    then data - array[${quoted(LEFT_OUT.data.ResponseRecorded)}]
    else data end,
  case when ${METADATA_LEFT_OUT} then null else metadata end,
  ${RECORDED_AT_MS},
  case when ${METADATA_LEFT_OUT} then tenant_id end`;

// Postgres writes each event as one JSON array (its CPU, the other core's): a JSON.parse here
// instead of a row of nine columns, two jsonb parses and a Date per event. recorded_at comes as
// epoch milliseconds, truncated as Date truncates microseconds, and is written as toISOString
// writes it here (a tenth of the query's time went to formatting it in Postgres).
//
// The events of SPAN consecutive positions come as one text, their arrays joined by commas: each
// row of the answer costs this thread the driver's work on one message (parse it, decode it, add
// it to the result), and with a row per event that was more than parsing the events' JSON. Read
// from the replay bench's 1M-event log, chunk by chunk on one connection: 5.9 s of this process's
// CPU with a row per event, 2.2–2.6 s with 256 per row, and 5.5 s of Postgres's against 4.6–4.9
// (it sends 256 times fewer messages). The whole replay gained less, about 3 % (the CLI on the
// same log, alternated: 71–74k events/s before, 74–76k after): its two fold threads and Postgres
// share two cores, and the reader was one cost among several.
//
// Not the whole chunk in one text (json_agg): megabytes that Postgres copies several times into
// fresh memory (a perf profile of the backend: 19% memmove, 15% page faults) and that took longer
// than a row per event. Each span is its own range of the primary key's index, aggregated as it
// is read: grouping the chunk by `position / SPAN` sorted it first, and a chunk's rows are more
// than a default work_mem, so the sort went to disk. The spans come in order (sorted before their
// events are read: an `order by` of the outer query would sort the texts, megabytes, instead), a
// span's events in the order Postgres reads them, put in position order here (see `byPosition`).
const SPAN = 256;
const chunkSql = (columns: string, where: string) => `
  select (select string_agg(json_build_array(${columns})::text, ',') from events
          where position > span and position <= least(span + ${SPAN}, $2) and ${where})
  from (select span from generate_series($1::bigint, $2::bigint - 1, ${SPAN}) as span
        order by span) as spans`;

const ALL = 'true';
const PART = `case
    when stream_id like 'endpoint-%' then (hashtext(stream_id) & 2147483647) % $3 = $4
    when stream_id like 'planner-%' then $4 = 0
    else true
  end`;
const CHUNK_SQL = {
  whole: { range: chunkSql(WHOLE, ALL), part: chunkSql(WHOLE, PART) },
  slim: { range: chunkSql(SLIM, ALL), part: chunkSql(SLIM, PART) },
};
/** Events read again whole: few, a row each. */
const AGAIN_SQL = `select json_build_array(${WHOLE})::text from events where position = any($1::bigint[])`;

/**
 * Spans handed to the caller at a time: a chunk is queried as one, but its events are parsed and
 * folded 2 048 positions at a time. The events of a piece are then garbage before the collector's
 * next scavenge; with a whole chunk live while it was folded, each scavenge copied it, and often
 * promoted it to the old generation. Measured with `npm run replay` on the replay bench's log
 * (PostgreSQL 15), alternated four times: 77.6–81.0k events/s with a chunk at a time, 82.0–88.2k
 * by pieces; this process's CPU 14.8–15.4 s against 13.0–14.0 s, and the fold threads' scavenges
 * (`--trace-gc`) 4.6 s against 3.2 s. Pieces of 2, 4 and 16 spans did as well as 8.
 */
const SPANS_PER_PIECE = 8;

/**
 * Reads the log in position order, a chunk at a time (yielded in pieces: SPANS_PER_PIECE), the
 * queries of the next chunks running on connections of their own while the caller folds this one
 * (`ahead` of them, default 1: on two cores a second query ahead only competes with the first and
 * with the fold). Closes its connections when the iteration ends (or is left early).
 */
export async function* readLog(
  connectionString: string,
  options: LogReadOptions,
): AsyncGenerator<LogChunk> {
  const size = options.chunk ?? 20_000;
  const ahead = options.ahead ?? 1;
  // A plain pool (an event is one text column: no type parsers needed), so a fold thread that
  // reads the log loads pg and not the event store's adapter.
  const pool = new pg.Pool({
    ...connectionDefaults,
    connectionString,
    max: ahead,
    application_name: 'orrery-replay-read',
  });
  pool.on('error', () => {}); // an idle client died: the next query says so
  const { partition } = options;
  const verify = options.verify ?? false;
  const statements = verify ? CHUNK_SQL.whole : CHUNK_SQL.slim;
  // Each row one column: events as JSON text (null for a span without any), parsed where the
  // decoding is timed.
  const query = async (text: string, values: unknown[]): Promise<Texts> =>
    (await pool.query<[string | null]>({ text, values, rowMode: 'array' })).rows;
  const fetch = (after: number) => {
    const through = Math.min(after + size, options.through);
    const texts = partition
      ? query(statements.part, [after, through, partition.count, partition.index])
      : query(statements.range, [after, through]);
    // Handled where awaited; never an unhandled rejection while the caller folds.
    texts.catch(() => {});
    return { after, through, texts };
  };
  try {
    const queued: ReturnType<typeof fetch>[] = [];
    let last = options.after;
    const fill = () => {
      while (queued.length < ahead && last < options.through) {
        const next = fetch(last);
        queued.push(next);
        last = next.through;
      }
    };
    fill();
    for (let current = queued.shift(); current; current = queued.shift()) {
      fill();
      const texts = await current.texts;
      // A piece of SPANS_PER_PIECE spans at a time (one, empty, if the query found no span).
      for (let i = 0; i < Math.max(texts.length, 1); i += SPANS_PER_PIECE) {
        const started = performance.now();
        const through = Math.min(current.after + (i + SPANS_PER_PIECE) * SPAN, current.through);
        let rows = byPosition(parseRows(texts.slice(i, i + SPANS_PER_PIECE)));
        if (!verify)
          rows = await wholeWhereNeeded(rows, (positions) => query(AGAIN_SQL, [positions]));
        const decoded = decode(rows, verify);
        yield { ...decoded, through, decodeMs: performance.now() - started };
      }
    }
  } finally {
    await pool.end();
  }
}

/** A query's rows: each one text of events, each event a JSON array, joined by commas. */
type Texts = readonly (readonly [string | null])[];

function parseRows(texts: Texts): Row[] {
  const rows: Row[] = [];
  for (const [text] of texts) {
    if (text === null) continue;
    for (const row of JSON.parse(`[${text}]`) as Row[]) rows.push(row);
  }
  return rows;
}

/**
 * The rows in position order. A range of the log is read in the order its rows lie on disk, which
 * is position order but for rows moved since they were written (an owner's repair, say): checked
 * in one pass, sorted only then. Measured on the replay bench's log, Postgres took a tenth of
 * each chunk's time to sort it.
 */
function byPosition(rows: Row[]): Row[] {
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]![0] < rows[i - 1]![0]) return rows.sort((a, b) => a[0] - b[0]);
  }
  return rows;
}

/** The catalogue's current version of each type: an event at it, trusted, is taken as it is. */
const CURRENT = new Map(Object.entries(catalogue).map(([type, entry]) => [type, entry.version]));

/**
 * The rows of a trusted (slim) chunk with every event that will not be taken as it is — an older
 * version to upcast and check, an unknown type to report — replaced by its whole row, read again.
 */
async function wholeWhereNeeded(
  rows: Row[],
  readAgain: (positions: number[]) => Promise<Texts>,
): Promise<Row[]> {
  const again = rows.filter(([, , , type, version]) => CURRENT.get(type) !== version);
  if (again.length === 0) return rows;
  const whole = new Map(
    parseRows(await readAgain(again.map(([position]) => position))).map((row) => [row[0], row]),
  );
  return rows.map((row) => whole.get(row[0]) ?? row);
}

/** An endpoint event's metadata as a trusted read gives it: its tenant, one object per tenant. */
const tenantMetadata = new Map<string, { readonly tenantId: string }>();
const metadataOf = (tenantId: string) => {
  let metadata = tenantMetadata.get(tenantId);
  if (!metadata) tenantMetadata.set(tenantId, (metadata = { tenantId }));
  return metadata;
};

function decode(rows: readonly Row[], verify: boolean): Pick<LogChunk, 'events' | 'unreadable'> {
  const events: RecordedEvent[] = [];
  const unreadable: UnreadableEvent[] = [];
  for (const row of rows) {
    const [position, streamId, streamVersion, type, version, data, , ms, leftOutFor] = row;
    const metadata = leftOutFor === null ? row[6] : metadataOf(leftOutFor);
    const at = toIso(ms);
    if (!verify && CURRENT.get(type) === version && typeof metadata === 'object' && metadata) {
      // readTrustedEvent's answer, built in place: this loop runs for every event of the log.
      const event = { type, data, metadata, position, streamId, streamVersion, recordedAt: at };
      events.push(event as RecordedEvent);
      continue;
    }
    const parsed = (verify ? parseEvent : readTrustedEvent)({ type, version, data, metadata });
    if (parsed.ok) {
      events.push(placeEvent(parsed.value, { position, streamId, streamVersion, recordedAt: at }));
    } else {
      const tenantId = (metadata as { tenantId?: unknown } | null)?.tenantId;
      unreadable.push({
        position,
        streamId,
        streamVersion,
        tenantId: typeof tenantId === 'string' ? tenantId : '',
        error: `event at position ${position} (${type}, ${streamId}) is unreadable: ${parsed.error.message}`,
      });
    }
  }
  return { events, unreadable };
}
