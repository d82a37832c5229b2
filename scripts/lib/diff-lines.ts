import type { ApplyPipelineResult } from '@orrery/api';

type Diff = ApplyPipelineResult['diff'];

/**
 * A pipeline diff for people, one line per change: `+` create, `~` change (with the fields),
 * `-` archive (jobs, endpoints) or remove (edges), jobs first, then endpoints, then edges.
 *
 * @example
 * diffLines(result.diff) // ['+ job sales-etl', '~ endpoint load: baseline.everyMs', '- edge audit.report']
 */
export function diffLines(diff: Diff): string[] {
  const lines: string[] = [];
  const sections = [
    ['job', diff.jobs.create, diff.jobs.change, diff.jobs.archive],
    ['endpoint', diff.endpoints.create, diff.endpoints.change, diff.endpoints.archive],
    ['edge', diff.edges.create, diff.edges.change, diff.edges.remove],
  ] as const;
  for (const [kind, create, change, gone] of sections) {
    for (const id of create) lines.push(`+ ${kind} ${id}`);
    for (const { id, fields } of change) lines.push(`~ ${kind} ${id}: ${fields.join(', ')}`);
    for (const id of gone) lines.push(`- ${kind} ${id}`);
  }
  return lines;
}
