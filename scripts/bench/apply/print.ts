/** The pipeline phase's table on stdout. */
import { table } from '../table.js';
import type { PipelineApplyResult } from './result.js';

export function printPipelineApply(out: string[], r: PipelineApplyResult): void {
  out.push(
    `\nPIPELINE APPLY: ${r.jobs} jobs, ${r.endpoints} endpoints, ${r.edges} edges (JSON ${(r.jsonBytes / 1e6).toFixed(1)} MB, YAML ${(r.yamlBytes / 1e6).toFixed(1)} MB), through the API (app.inject on buildApp)`,
  );
  const perSecond = (n: number, seconds: number) => (seconds > 0 ? n / seconds : null);
  out.push(
    table(
      ['how', 's', 'endpoints/s', 'events'],
      [
        [
          `one by one: POST × ${r.oneByOne.sample}, extrapolated to ${r.endpoints}`,
          r.oneByOne.extrapolatedSeconds,
          r.oneByOne.endpointsPerSecond,
          null,
        ],
        [
          'apply: one PUT, JSON',
          r.apply.seconds,
          perSecond(r.endpoints, r.apply.seconds),
          r.apply.events,
        ],
        [
          'apply: one PUT, YAML (other ids)',
          r.yaml.seconds,
          perSecond(r.endpoints, r.yaml.seconds),
          r.yaml.events,
        ],
        [
          'the same again, read from the log (no change)',
          r.reapply.seconds,
          null,
          r.reapply.events,
        ],
        [
          'dry run, 1 % of endpoints changed, from the log',
          r.dryRun.seconds,
          null,
          r.dryRun.events,
        ],
        [
          `the same again, from snapshots (projected in ${r.projectedSeconds.toFixed(1)} s)`,
          r.reapplyFromSnapshots.seconds,
          null,
          r.reapplyFromSnapshots.events,
        ],
      ],
    ),
  );
  out.push(
    `  ${r.endpoints} endpoints applied in ${r.apply.seconds.toFixed(2)} s (goal ≤ ${r.goal.seconds} s: ${r.goal.met ? 'MET' : 'MISSED'}) · ${r.speedup.toFixed(0)}× one by one · again: ${r.reapply.changed || r.reapplyFromSnapshots.changed ? 'CHANGED (should not)' : 'nothing appended'}`,
  );
}
