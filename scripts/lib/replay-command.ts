/**
 * What `orrery replay` and `npm run replay` do (their command line:
 * scripts/cli/replay-command.ts): replays the log into a shadow schema with the real projection,
 * compares it with the live read models row by row, optionally swaps it in. Exit 0: no
 * differences (or a swap put them right); 1: differences left, a refused swap or a stalled
 * processor; 2: usage.
 */
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import {
  createSchedulingDb,
  processorStatus,
  replay,
  ReplayRefusedError,
  schedulingMigrations,
  type ReplayScope,
} from '@orrery/scheduling';
import type { Command } from 'commander';
import pino from 'pino';
import { replayCommand } from '../cli/replay-command.js';
import { runCommandLine, usageError } from '../cli/program.js';
import { connectForTool } from './connect.js';
import { progressLine, reportLines, statusLines } from './replay-output.js';

export interface ReplayOptions {
  readonly to?: string;
  readonly tenant?: string;
  readonly job?: string;
  readonly endpoint?: string;
  readonly swap?: boolean;
  readonly verify?: boolean;
  readonly workers?: string;
  readonly json?: boolean;
}

/** `npm run replay …`: the `orrery replay` command on its own (argv: the words after it). */
export const runReplay = (argv: readonly string[]): Promise<number> =>
  runCommandLine(replayCommand().name('replay'), argv);

/** `--to`: digits are a position, anything else an ISO-8601 time. */
function parseTo(text: string | undefined): number | Date | null | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const time = Date.parse(text);
  return /^\d{4}-\d\d-\d\d/.test(text) && Number.isFinite(time) ? new Date(time) : null;
}

/** Replays, compares (and swaps, with `--swap`), prints the report; answers the exit code. */
export async function replayLog(command: Command, options: ReplayOptions): Promise<number> {
  const to = parseTo(options.to);
  if (to === null) usageError(command, `--to: ${options.to} is neither a position nor an ISO time`);
  const workers = options.workers === undefined ? undefined : Number(options.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 16)) {
    usageError(command, `--workers: ${options.workers} is not a number of threads from 0 to 16`);
  }
  const scope: ReplayScope = {
    ...(options.tenant === undefined ? {} : { tenantId: options.tenant }),
    ...(options.job === undefined ? {} : { jobId: options.job }),
    ...(options.endpoint === undefined ? {} : { endpointId: options.endpoint }),
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
      swap: options.swap === true,
      verify: options.verify === true,
      ...(workers === undefined ? {} : { workers }),
      log: pino({ level: process.env['LOG_LEVEL'] ?? 'warn' }, pino.destination(2)),
      onProgress: (p) => progress.update(p),
    });
    progress.done();
    // Whether the read models still move says as much as whether they match: say that too.
    const status = await processorStatus(db);
    const { lines, stalled } = statusLines(status);
    if (options.json) console.log(JSON.stringify({ ...report, processors: status }, null, 2));
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
