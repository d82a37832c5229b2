/**
 * `npm run replay` and `npm run orrery -- replay`: replays the log into a shadow schema with the
 * real projection, compares it with the live read models row by row, optionally swaps it in.
 * Exit 0: no differences (or a swap put them right); 1: differences left, a refused swap or a
 * stalled processor; 2: usage.
 */
import { parseArgs } from 'node:util';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import {
  createSchedulingDb,
  processorStatus,
  replay,
  ReplayRefusedError,
  schedulingMigrations,
  type ReplayScope,
} from '@orrery/scheduling';
import pino from 'pino';
import { connectForTool } from './connect.js';
import { progressLine, reportLines, statusLines } from './replay-output.js';

/** The options, on one line (for `orrery`'s usage). */
export const replaySynopsis =
  '[--to <position|ISO time>] [--tenant <id>] [--job <id>] [--endpoint <id>] [--swap] [--verify] [--json]';

const replayUsage = `usage: replay ${replaySynopsis}
  --to        replay up to this position, or up to the first event recorded after this time
  --tenant, --job, --endpoint
              replay and compare only these rows (an endpoint or a job: from its streams alone)
  --swap      put the replayed read models in place of the live ones (a full replay only, with
              the projection stopped)
  --verify    check every event against the catalogue's schemas, as the projection does
              (slower; by default events, checked when made, are checked for type and version)
  --json      print the report as JSON`;

/** `--to`: digits are a position, anything else an ISO-8601 time. */
function parseTo(text: string | undefined): number | Date | null | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const time = Date.parse(text);
  return /^\d{4}-\d\d-\d\d/.test(text) && Number.isFinite(time) ? new Date(time) : null;
}

export async function runReplay(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        to: { type: 'string' },
        tenant: { type: 'string' },
        job: { type: 'string' },
        endpoint: { type: 'string' },
        swap: { type: 'boolean', default: false },
        verify: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(
      `replay: ${error instanceof Error ? error.message : String(error)}\n${replayUsage}`,
    );
    return 2;
  }
  const to = parseTo(values.to);
  if (values.help || to === null) {
    console.error(
      to === null
        ? `replay: --to ${values.to} is neither a position nor an ISO time\n${replayUsage}`
        : replayUsage,
    );
    return values.help ? 0 : 2;
  }
  const scope: ReplayScope = {
    ...(values.tenant === undefined ? {} : { tenantId: values.tenant }),
    ...(values.job === undefined ? {} : { jobId: values.job }),
    ...(values.endpoint === undefined ? {} : { endpointId: values.endpoint }),
  };
  const { url, embedded } = await connectForTool();
  const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
  const db = createSchedulingDb({ connectionString: url, max: 1 });
  const progress = progressLine();
  try {
    await migrateDatabase(url, undefined, schedulingMigrations);
    const report = await replay({
      connectionString: url,
      store,
      scope,
      ...(to === undefined ? {} : { to }),
      swap: values.swap,
      verify: values.verify,
      log: pino({ level: process.env['LOG_LEVEL'] ?? 'warn' }, pino.destination(2)),
      onProgress: (p) => progress.update(p),
    });
    progress.done();
    // Whether the read models still move says as much as whether they match: say that too.
    const status = await processorStatus(db);
    const { lines, stalled } = statusLines(status);
    if (values.json) console.log(JSON.stringify({ ...report, processors: status }, null, 2));
    else console.log([...reportLines(report), '', ...lines].join('\n'));
    // Differences fail the run unless a swap put them right; a refused swap fails it too.
    const differs = report.tables.some((t) => t.differences > 0);
    const fixed = report.swap?.swapped === true;
    return (differs && !fixed) || report.swap?.swapped === false || stalled ? 1 : 0;
  } catch (error) {
    progress.done();
    if (!(error instanceof ReplayRefusedError)) throw error;
    console.error(`replay: ${error.message}`);
    return error.reason === 'invalid' ? 2 : 1;
  } finally {
    await store.close();
    await db.destroy();
    await embedded?.stop();
  }
}
