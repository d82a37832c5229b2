/** The scale phase's table on stdout. */
import { table } from '../table.js';
import type { ScaleResult } from './phase.js';

export function printScale(out: string[], r: ScaleResult): void {
  out.push(
    '\nSCALE: endpoints registered idle on a fresh database, projection role only (no dispatcher, no calls); claims of 200 rows 200 ms ahead; ms p50 / p99',
  );
  const ms = (s: { p50: number; p99: number }) => `${s.p50.toFixed(1)} / ${s.p99.toFixed(1)}`;
  out.push(
    table(
      [
        'endpoints',
        'appended s',
        'projected s',
        'lag at append end',
        'claim, none due',
        'claim, all due',
        'read a stream',
        'read last 1000',
        'events',
        'B/event',
        'B/schedule row',
        'RSS B/endpoint',
        'heap B/endpoint',
      ],
      r.points.map((p) => [
        p.endpoints,
        p.register.appendSeconds.toFixed(1),
        p.register.projectedSeconds.toFixed(1),
        p.register.lagAtAppendEnd,
        ms(p.claimIdleMs),
        `${ms(p.claimDueMs)} (${p.claimedPerCall.toFixed(0)} rows)`,
        ms(p.readStreamMs),
        ms(p.readTailMs),
        p.events,
        p.bytesPerEvent.toFixed(0),
        p.bytesPerScheduleRow.toFixed(0),
        p.memoryPerEndpoint.rssBytes.toFixed(0),
        p.memoryPerEndpoint.heapBytes.toFixed(0),
      ]),
    ),
  );
}
