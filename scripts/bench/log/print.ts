/** The log phase's tables on stdout. */
import { table } from '../table.js';
import type { LogResult } from './result.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const ms = (s: { p50: number; p99: number } | undefined) =>
  s ? `${s.p50.toFixed(1)} / ${s.p99.toFixed(1)}` : '–';

export function printLog(out: string[], r: LogResult): void {
  const { seed, steps } = r;
  out.push(
    `\nLOG: one log grown in SQL from a ${fmt(seed.events)}-event seed (appendMany, ${fmt(seed.eventsPerSecond)}/s): cohorts of ${seed.endpoints} endpoints (${fmt(seed.rowsPerCohort)} events each) in ${seed.tenants} tenants; ms p50 / p99`,
  );
  const reads = Object.keys(steps[0]?.reads ?? {});
  const byRead = new Map(r.flatness.map((f) => [f.read, f]));
  out.push(
    table(
      ['read', ...steps.map((s) => `${fmt(s.events)} events`), 'p99 last / first'],
      reads.map((read) => {
        const f = byRead.get(read);
        return [
          read,
          ...steps.map((s) => ms(s.reads[read])),
          f ? `${f.ratio.toFixed(2)}×${f.flat ? '' : ' GROWS'}` : '–',
        ];
      }),
    ),
  );
  const indexes = Object.keys(steps.at(-1)?.sizes.byIndex ?? {});
  out.push(
    table(
      [
        'events',
        'cohorts',
        'grown s',
        'events/s',
        'vacuum s',
        'GB',
        'B/event',
        'table B/event',
        'indexes B/event',
        ...indexes.map((i) => `${i} B/event`),
      ],
      steps.map((s) => [
        fmt(s.events),
        s.cohorts,
        s.growSeconds.toFixed(1),
        fmt(s.growEventsPerSecond),
        s.vacuumSeconds.toFixed(1),
        (s.sizes.totalBytes / 1e9).toFixed(2),
        s.sizes.bytesPerEvent.toFixed(0),
        s.sizes.tableBytesPerEvent.toFixed(0),
        s.sizes.indexBytesPerEvent.toFixed(0),
        ...indexes.map((i) => (s.sizes.byIndex[i] ?? 0).toFixed(0)),
      ]),
    ),
  );
  const g = r.goal;
  const verdict = g.met === null ? 'not measured' : g.met ? 'MET' : 'MISSED';
  out.push(
    `  reads flat as the log grows (each p99 at the largest log ≤ ${g.ratio}× the smallest's, p99s under ${g.floorMs} ms counted as ${g.floorMs} ms): ${verdict}${g.worstRead ? ` — worst ${g.worstRead}, ${g.reached?.toFixed(2)}×` : ''} · grown in ${r.totalGrowSeconds.toFixed(0)} s in all`,
  );
}
