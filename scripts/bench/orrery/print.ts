/** The lateness phase's section of the report on stdout. */
import { summaryCells, table, verdictText } from '../table.js';
import { perSecondLine, settledSecond } from './by-second.js';
import { STAGES } from './figures.js';
import type { LatenessResult } from './results.js';

export function printLateness(
  out: string[],
  lateness: LatenessResult,
  verdict: { targetMs: number; p99Met: boolean | null; neverEarlyMet: boolean | null },
): void {
  out.push(
    `\nLATENESS at ${lateness.offeredPerSecond.toFixed(0)} runs/s offered (${lateness.endpoints} endpoints every ${lateness.everyMs} ms): achieved ${lateness.achievedPerSecond.toFixed(0)}/s, ${lateness.slotsDispatched}/${lateness.slotsOffered} slots dispatched`,
  );
  const stage = (name: string) => lateness.figures.stages[name];
  out.push(
    table(
      ['ms', 'runs', 'p50', 'p95', 'p99', 'max', 'mean'],
      [
        ['slot → HTTP call start (runs.started_at)', ...summaryCells(lateness.callStartLateness)],
        [
          '  breakdown: dispatch lateness (runs.lateness_ms)',
          ...summaryCells(lateness.dispatchLateness),
        ],
        ['  slot → dispatched (meter)', ...summaryCells(stage(STAGES.dispatchLateness))],
        ['  slot → HTTP call starts (meter)', ...summaryCells(stage(STAGES.startLateness))],
      ],
    ),
  );
  const earliest =
    lateness.earliestMs === null ? '' : `, earliest ${lateness.earliestMs.toFixed(1)} ms`;
  out.push(
    `  p99 call-start lateness ${lateness.callStartLateness.p99.toFixed(1)} ms (target ≤ ${verdict.targetMs} ms: ${verdictText(verdict.p99Met)}); ${lateness.callsStarted} calls started, ${lateness.earlyCalls} before their slot${earliest} (target 0: ${verdictText(verdict.neverEarlyMet)})`,
  );
  const { bySecond, windowStartSecond } = lateness;
  const line = (pick: (s: (typeof bySecond)[number]) => number) =>
    `${perSecondLine(bySecond.slice(0, windowStartSecond), pick)} | ${perSecondLine(bySecond.slice(windowStartSecond), pick)}`;
  const settled = settledSecond(bySecond, verdict.targetMs);
  out.push(
    `  second by second from the first slot (slots of each second; | where the window starts), p99: ${line((s) => s.p99)} ms`,
    `                                                                                        max: ${line((s) => s.max)} ms`,
    `  the runtime's start: the first second with p99 ≤ ${verdict.targetMs} ms is ${settled === null ? 'none' : `second ${settled} after the first slot`}`,
  );
}
