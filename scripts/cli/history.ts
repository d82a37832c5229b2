/**
 * `orrery history <endpoint|job> [--since <time>] [--until <time>] [--limit N] [--tenant <id>]
 * [--json]`: what happened to an endpoint (its stream and its planner sessions) or a job (its
 * stream and every endpoint of it), one line per event of the log: time, position, actor, what.
 */
import { parseArgs } from 'node:util';
import { readHistory, type HistoryEntry } from '@orrery/api';
import { commonOptions, parseCommandLine, usageError, withReadDeps } from './read-command.js';

export const historyUsage =
  '  orrery history <endpoint|job|endpoint:<id>|job:<id>> [--since <ISO time>] [--until <ISO time>]\n' +
  '                 [--limit <n>] [--tenant <id>] [--json]';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

const isInstant = (value: string) =>
  /^\d{4}-\d\d-\d\d/.test(value) && !Number.isNaN(Date.parse(value));

/** The timeline, columns aligned: time, #position, actor, subject, what (and its cause). */
export function historyLines(entries: readonly HistoryEntry[]): string[] {
  const actor = (e: HistoryEntry) => `${e.actor.kind}:${e.actor.id}`;
  const width = (of: (e: HistoryEntry) => string) =>
    Math.max(0, ...entries.map((e) => of(e).length));
  const positions = width((e) => `#${e.position}`);
  const actors = width(actor);
  const subjects = width((e) => e.subject);
  return entries.map((e) => {
    const cause =
      e.causationId && !e.summary.includes(e.causationId) ? ` [caused by ${e.causationId}]` : '';
    return (
      `${e.recordedAt}  ${`#${e.position}`.padEnd(positions)}  ${actor(e).padEnd(actors)}  ` +
      `${e.subject.padEnd(subjects)}  ${e.summary}${cause}`
    );
  });
}

/** Runs `orrery history …` (argv after the verb); answers the exit code. */
export async function runHistory(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(historyUsage, () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...commonOptions,
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
      },
    }),
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (values.help) return usageError(historyUsage);
  const [ref] = positionals;
  if (ref === undefined || positionals.length > 1) {
    return usageError(
      historyUsage,
      ref ? 'one endpoint or job at a time' : 'name an endpoint or a job',
    );
  }
  for (const flag of ['since', 'until'] as const) {
    const value = values[flag];
    if (value !== undefined && !isInstant(value)) {
      return usageError(historyUsage, `--${flag}: ${value} is not an ISO-8601 time`);
    }
  }
  if (values.since && values.until && Date.parse(values.since) > Date.parse(values.until)) {
    return usageError(historyUsage, '--until: must not be before --since');
  }
  const limit = Number(values.limit ?? DEFAULT_LIMIT);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return usageError(historyUsage, `--limit: a whole number from 1 to ${MAX_LIMIT}`);
  }
  const tenant = values.tenant ?? 'default';
  return withReadDeps(tenant, async ({ events }) => {
    const history = await readHistory(events, tenant, ref, {
      since: values.since,
      until: values.until,
      limit,
    });
    if (values.json) {
      console.log(JSON.stringify(history.entries, null, 2));
      return 0;
    }
    const { kind, id } = history.target;
    console.log(
      `history of ${kind} ${id} (tenant ${tenant}): ` +
        (history.more
          ? `the latest ${limit} event(s); earlier ones left out (see --since, --limit)`
          : `${history.entries.length} event(s)`),
    );
    for (const line of historyLines(history.entries)) console.log(line);
    return 0;
  });
}
