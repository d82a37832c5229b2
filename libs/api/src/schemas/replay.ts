import { replayedTables } from '@orrery/scheduling';
import { z } from 'zod';
import { Id, Instant, responseBody } from './common.js';
import { TenantId } from './tenants.js';

/** The longest list of differences one answer carries per table (all are counted). */
export const REPLAY_LIST_LIMIT = 1000;

/** The body of POST /v1/admin/replay (its id and examples are set where the route uses it). */
export const ReplayRequestSchema = z.strictObject({
  tenantId: TenantId.optional().describe('Replay and compare only this tenant'),
  jobId: Id.optional().describe(
    "Only this job: its endpoints' streams, its own and its tenant's are read, not the log",
  ),
  endpointId: Id.optional().describe(
    "Only this endpoint: its stream, its planner stream, its job's and its tenant's are " +
      'read, not the log',
  ),
  to: z
    .union([
      z.number().int().nonnegative().describe('A log position'),
      Instant.refine((text) => Number.isFinite(Date.parse(text)), 'not a real instant'),
    ])
    .optional()
    .describe(
      'Replay up to this log position, or up to the first event recorded after this ' +
        'instant; the rows that later events changed are not compared (default: the head)',
    ),
  limit: z
    .number()
    .int()
    .min(0)
    .max(REPLAY_LIST_LIMIT)
    .default(100)
    .describe('Differences listed per table (all are counted)'),
  verify: z
    .boolean()
    .default(false)
    .describe(
      "Check every event of the log against the catalogue's schemas, as the projection does " +
        '(slower). Default: events were checked when made; only their type and version are',
    ),
});
export type ReplayRequest = z.output<typeof ReplayRequestSchema>;

const Row = z
  .record(z.string(), z.unknown())
  .describe('The row as JSON (timestamps as ISO text, jsonb columns nested)');
const Key = z
  .record(z.string(), z.unknown())
  .describe("The row's primary key, by column (text ids, numeric positions)");
const Table = z.enum(replayedTables);

const DifferenceSchema = z
  .discriminatedUnion('kind', [
    z.object({
      table: Table,
      key: Key,
      kind: z.literal('missing').describe('The log gives this row; the read model lacks it'),
      replayed: Row,
    }),
    z.object({
      table: Table,
      key: Key,
      kind: z.literal('extra').describe('The read model has this row; the log does not give it'),
      live: Row,
    }),
    z.object({
      table: Table,
      key: Key,
      kind: z.literal('changed').describe('Both have the row, with these values apart'),
      changes: z.array(
        z.object({
          path: z
            .string()
            .describe('The column, or a dotted path inside a jsonb column (state.pause.until)'),
          live: z.unknown().describe('In the read model (absent: no such member)'),
          replayed: z.unknown().describe('In the replay (absent: no such member)'),
        }),
      ),
    }),
  ])
  .meta({
    id: 'ReplayDifference',
    description: 'A row on which the read model and the log differ',
  });

export const ReplayReportSchema = responseBody(
  z
    .object({
      head: z.number().int().describe("The log's head when the replay started"),
      through: z.number().int().describe('The position replayed through'),
      livePosition: z.number().int().describe('Where the projection had read up to when compared'),
      notCompared: z
        .object({ after: z.number().int(), through: z.number().int() })
        .nullable()
        .describe(
          'Events only one side had read (between the replay and the projection): the rows ' +
            'they changed were not compared. null: every row in scope was compared',
        ),
      streams: z
        .array(z.string())
        .nullable()
        .describe('The streams read, for one endpoint or job; null: the log was read'),
      events: z.number().int().describe('Events read'),
      replayMs: z.number().describe('Reading and folding the log, and writing the replayed rows'),
      timings: z
        .object({
          startMs: z
            .number()
            .optional()
            .describe("Starting the fold's worker threads (a whole or one tenant's replay)"),
          readMs: z.number().describe('Waiting for the next chunk of the log'),
          decodeMs: z.number().describe('Reading events from the chunks'),
          foldMs: z.number().describe("The projection's folds"),
          writeWaitMs: z.number().describe('Waiting for rows to be written while folding'),
          finishMs: z.number().describe('Writing the final rows (schedule, jobs, runs in flight)'),
        })
        .describe(
          'Where `replayMs` went (folded in worker threads: the stages of the one that took longest)',
        ),
      compareMs: z.number(),
      parked: z
        .array(z.object({ streamId: z.string(), position: z.number().int(), error: z.string() }))
        .describe('Streams the projection could not handle in the replay (set aside, as live)'),
      tables: z.array(
        z.object({
          table: Table,
          live: z.number().int().describe('Rows in scope in the read model'),
          replayed: z.number().int().describe('Rows in scope in the replay'),
          differences: z.number().int().describe('Rows that differ (at most `limit` are listed)'),
        }),
      ),
      differences: z.array(DifferenceSchema),
    })
    .describe('What a compare-only replay of the log found, table by table and row by row'),
  'ReplayReport',
  [
    {
      head: 1187,
      through: 1187,
      livePosition: 1187,
      notCompared: null,
      streams: [
        'endpoint-default.demo-orders',
        'planner-default.demo-orders',
        'job-default.demo-shop',
        'tenant-default',
      ],
      events: 412,
      replayMs: 84.2,
      timings: { readMs: 21.5, decodeMs: 6.1, foldMs: 18.7, writeWaitMs: 4.9, finishMs: 33 },
      compareMs: 12.6,
      parked: [],
      tables: [
        { table: 'schedule', live: 1, replayed: 1, differences: 1 },
        { table: 'runs', live: 131, replayed: 131, differences: 0 },
      ],
      differences: [
        {
          table: 'schedule',
          key: { tenant_id: 'default', endpoint_id: 'demo-orders' },
          kind: 'changed',
          changes: [
            {
              path: 'next_run_at',
              live: '2026-03-02T09:00:03.000Z',
              replayed: '2026-03-02T09:00:01.000Z',
            },
          ],
        },
      ],
    },
  ],
);
