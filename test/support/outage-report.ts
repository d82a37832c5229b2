import { problemsBetween } from './log-summary.js';
import type { ReadinessAnswer } from './readiness-watch.js';
import type { RunLog } from './run-log.js';
import type { ServiceProcess } from './service-process.js';

/** What happened around one outage, as the outage test measured it (epoch ms, log positions). */
export interface OutageFacts {
  readonly log: RunLog;
  /** Requests the target saw per Idempotency-Key. */
  readonly hits: ReadonlyMap<string, number>;
  readonly services: readonly ServiceProcess[];
  readonly terminated: number;
  readonly cutStartedAt: number;
  readonly cutAt: number;
  readonly restoredAt: number;
  /** When every service was at work again, and how long after the restore each one was. */
  readonly resumedAt: number;
  readonly backAfter: ReadonlyMap<string, number>;
  /** The head of the log when the database came back. */
  readonly headAtRestore: number;
  readonly readiness: readonly ReadinessAnswer[];
}

/** The lines the outage test prints: durations, what was kept, what each service logged. */
export function outageReport(facts: OutageFacts): string {
  const { log, cutStartedAt, cutAt, restoredAt, resumedAt } = facts;
  const runs = [...log.runs.values()];
  const redispatched = runs.filter((run) => run.dispatches.length > 1).length;
  const twice = [...facts.hits.values()].filter((n) => n > 1).length;
  // Responses that came back from the target before the database did, recorded after it.
  const held = runs.filter((run) => {
    const response = run.responses[0];
    return (
      response !== undefined &&
      Date.parse(response.data.finishedAt) <= restoredAt &&
      response.position > facts.headAtRestore
    );
  }).length;
  const back = [...facts.backAfter].map(([label, ms]) => `${label} ${ms} ms`).join(', ');
  const logged = (s: ServiceProcess, from: number, to: number) =>
    problemsBetween(s.lines(), from, to).join('; ') || '-';
  return [
    `outage e2e: ${runs.length} runs (${log.events.length} events);` +
      ` ${facts.terminated} backends terminated in ${cutAt - cutStartedAt} ms,` +
      ` connections refused for ${restoredAt - cutAt} ms;` +
      ` every service at work again ${resumedAt - restoredAt} ms later (${back})`,
    `  /readyz while cut off: ${facts.readiness.length} answers, all 503 "database unreachable"`,
    `  responses back from the target during the outage, recorded after it: ${held}`,
    `  re-dispatched runs: ${redispatched}; keys the target saw more than once: ${twice}`,
    '  logged at warn or above during the outage | from the restore until every service worked:',
    ...facts.services.map(
      (s) =>
        `    ${s.label}: ${logged(s, cutStartedAt, restoredAt)} | ${logged(s, restoredAt, resumedAt)}`,
    ),
  ].join('\n');
}
