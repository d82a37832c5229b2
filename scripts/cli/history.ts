/**
 * What `orrery history` does (its command line: history-command.ts): what happened to an
 * endpoint (its stream and its planner sessions) or a job (its stream and every endpoint of it),
 * one line per event of the log: time, position, actor, what.
 */
import { readHistory, type HistoryEntry } from '@orrery/api';
import type { Command } from 'commander';
import { usageError } from './program.js';
import { withReadDeps } from './read-command.js';

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

export interface HistoryOptions {
  readonly since?: string;
  readonly until?: string;
  readonly limit: string;
  readonly tenant: string;
  readonly json?: boolean;
}

/** Prints the history of `ref` (an endpoint or a job); answers the exit code. */
export async function runHistory(
  command: Command,
  ref: string,
  options: HistoryOptions,
): Promise<number> {
  for (const flag of ['since', 'until'] as const) {
    const value = options[flag];
    if (value !== undefined && !isInstant(value)) {
      usageError(command, `--${flag}: ${value} is not an ISO-8601 time`);
    }
  }
  if (options.since && options.until && Date.parse(options.since) > Date.parse(options.until)) {
    usageError(command, '--until: must not be before --since');
  }
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    usageError(command, `--limit: a whole number from 1 to ${MAX_LIMIT}`);
  }
  const { tenant } = options;
  return withReadDeps(tenant, async ({ events }) => {
    const history = await readHistory(events, tenant, ref, {
      since: options.since,
      until: options.until,
      limit,
    });
    if (options.json) {
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
