/**
 * What `orrery what-if` does (its command line: what-if-command.ts): re-runs a window of
 * recorded history with a changed configuration and prints what would have differed, per
 * endpoint. The same read as `POST /v1/what-if` (read-only: it appends nothing).
 *
 * Changes are flags for the common cases, and a JSON file (the API's `changes`) for the rest
 * (edges to add, several fields at once); flags are laid over the file:
 *
 * - `--set <endpoint>.<field>=<value>`: `baseline.everyMs=1000`, `baseline.cron=*\/5 * * * * *`,
 *   `baseline.none=true`, `minIntervalMs`, `maxIntervalMs` (`none` removes it), `jitterMs`,
 *   `backoff.factor`, `backoff.maxMs`;
 * - `--policy <job>.<group>.<field>=<n>`: `antiThrash.maxChanges=1`, `budget.perEndpoint=10`, …;
 * - `--remove-edge <upstream>.<downstream>`, `--planner off`.
 *
 * `--from`/`--to` take an ISO instant, `now`, or a time before now (`now-15m`, `now-2h`, `now-1d`).
 */
import { readFile } from 'node:fs/promises';
import { runWhatIf, WhatIfRequestSchema } from '@orrery/api';
import type { Command } from 'commander';
import { usageError } from './program.js';
import { withReadDeps } from './read-command.js';
import { whatIfText } from './what-if-text.js';

export interface WhatIfOptions {
  readonly job?: string;
  readonly endpoint?: readonly string[];
  readonly from?: string;
  readonly to?: string;
  readonly set?: readonly string[];
  readonly policy?: readonly string[];
  readonly removeEdge?: readonly string[];
  readonly planner?: string;
  readonly changes?: string;
  readonly tolerance?: string;
  readonly limit?: string;
  readonly tenant: string;
  readonly json?: boolean;
}

type Json = Record<string, unknown>;

/** The flag that sets a field of the request body. */
const flags: Readonly<Record<string, string>> = {
  from: '--from',
  to: '--to',
  job: '--job',
  endpoints: '--endpoint',
  toleranceMs: '--tolerance',
  listLimit: '--limit',
};

/** `now`, an ISO instant, or a time before now: `now-90s`, `now-15m`, `now-2h`, `now-1d`. */
export function instantOf(text: string, now: number): string {
  if (text === 'now') return new Date(now).toISOString();
  const ago = /^now-(\d+)(s|m|h|d)$/.exec(text);
  if (ago) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 's'];
    return new Date(now - Number(ago[1]) * unit).toISOString();
  }
  return text;
}

/** `a.b.c=v` into `target.a.b.c = v` (numbers and booleans as such). */
function setPath(target: Json, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  node[path.at(-1) ?? ''] = value;
}

const scalar = (text: string): unknown =>
  /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text === 'true' ? true : text;

/** One `--set` as an endpoint override: baseline shorthands, `none` to remove a bound. */
export function applySet(changes: Json, assignment: string): string | null {
  const match = /^([A-Za-z0-9][A-Za-z0-9_-]*)\.([A-Za-z.]+)=(.*)$/.exec(assignment);
  if (!match) return `--set ${assignment}: expected <endpoint>.<field>=<value>`;
  const [, endpoint = '', field = '', value = ''] = match;
  const path = ['endpoints', endpoint];
  if (field === 'baseline.everyMs') {
    setPath(changes, [...path, 'baseline'], { kind: 'interval', everyMs: scalar(value) });
  } else if (field === 'baseline.cron') {
    setPath(changes, [...path, 'baseline'], { kind: 'cron', expression: value });
  } else if (field === 'baseline.none') {
    setPath(changes, [...path, 'baseline'], { kind: 'none' });
  } else if (field === 'maxIntervalMs' && value === 'none') {
    setPath(changes, [...path, 'maxIntervalMs'], null);
  } else {
    setPath(changes, [...path, ...field.split('.')], scalar(value));
  }
  return null;
}

/** Runs the window with the changes; answers the exit code. */
export async function runWhatIfCommand(command: Command, values: WhatIfOptions): Promise<number> {
  if (values.from === undefined || values.to === undefined) {
    usageError(command, 'give the window: --from and --to');
  }
  let changes: Json = {};
  if (values.changes !== undefined) {
    try {
      changes = JSON.parse(await readFile(values.changes, 'utf8')) as Json;
    } catch (error) {
      usageError(command, `--changes ${values.changes}: ${String(error)}`);
    }
  }
  for (const assignment of values.set ?? []) {
    const wrong = applySet(changes, assignment);
    if (wrong) usageError(command, wrong);
  }
  for (const assignment of values.policy ?? []) {
    const match = /^([A-Za-z0-9][A-Za-z0-9_-]*)\.([A-Za-z.]+)=(.*)$/.exec(assignment);
    if (!match) usageError(command, `--policy ${assignment}: expected <job>.<path>=<n>`);
    setPath(
      changes,
      ['policies', match[1] ?? '', ...(match[2] ?? '').split('.')],
      scalar(match[3] ?? ''),
    );
  }
  for (const edge of values.removeEdge ?? []) {
    const edges = (changes['edges'] ?? {}) as Json;
    edges['remove'] = [...((edges['remove'] as string[] | undefined) ?? []), edge];
    changes['edges'] = edges;
  }
  if (values.planner !== undefined) changes['planner'] = values.planner;
  const now = Date.now();
  const body = WhatIfRequestSchema.safeParse({
    from: instantOf(values.from, now),
    to: instantOf(values.to, now),
    ...(values.job === undefined ? {} : { job: values.job }),
    ...(values.endpoint === undefined ? {} : { endpoints: values.endpoint }),
    changes,
    ...(values.tolerance === undefined ? {} : { toleranceMs: Number(values.tolerance) }),
    listLimit: values.limit === undefined ? (values.json ? 50 : 10) : Number(values.limit),
  });
  if (!body.success) {
    const [issue] = body.error.issues;
    const path = (issue?.path ?? []).map(String);
    const flag = flags[path[0] ?? ''];
    const where = flag && path.length === 1 ? flag : path.join('.');
    usageError(command, `${where}: ${issue?.message ?? 'invalid'}`);
  }
  const { tenant } = values;
  return withReadDeps(tenant, async (deps) => {
    const report = await runWhatIf(deps, tenant, body.data);
    console.log(values.json ? JSON.stringify(report, null, 2) : whatIfText(report));
    return 0;
  });
}
