/** Events and their parts in words, for timelines, tails and explanations. */
import type { Baseline, CascadeContext } from '@orrery/domain';

/** A duration for people: `250 ms`, `1.5 s`, `10 min`, `2 h`, `3 d`. */
export function duration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) {
    if (Math.abs(ms) >= size) return `${Number((ms / size).toFixed(1))} ${unit}`;
  }
  return `${Math.round(ms)} ms`;
}

/** The first line of a free text, cut at 120 characters. */
export function firstLine(text: string): string {
  const line = text.trim().split('\n', 1)[0]?.trim() ?? '';
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/** ` — <the first line of reason>`, or nothing for an empty reason. */
export const because = (reason: string): string =>
  reason.trim() === '' ? '' : ` — ${firstLine(reason)}`;

export const baselineText = (baseline: Baseline): string =>
  baseline.kind === 'interval'
    ? `every ${duration(baseline.everyMs)}`
    : baseline.kind === 'cron'
      ? `cron "${baseline.expression}" (${baseline.timezone})`
      : 'trigger-only';

/** A cascade's causation: the endpoint and run it started from, and the path to this one. */
export const cascadeText = ({ root, chain }: CascadeContext): string =>
  `cascade from ${chain[0] ?? '?'} run ${root} (${chain.join(' → ')})`;

/** Why a run was dispatched: the governor's reason, the hint it spent, the cascade it runs. */
export function dispatchReason(run: {
  reason: string;
  hintId?: string | null | undefined;
  cascade?: CascadeContext | null | undefined;
}): string {
  const cascade = run.cascade && run.cascade.depth > 0 ? run.cascade : null;
  return [
    run.reason === 'cascade' && cascade ? null : run.reason,
    run.hintId ? `hint ${run.hintId}` : null,
    cascade ? cascadeText(cascade) : null,
  ]
    .filter((part) => part !== null)
    .join(', ');
}

/** `until <instant>`, or `indefinitely (until resumed)`. */
export const until = (at: string | null | undefined): string =>
  at ? `until ${at}` : 'indefinitely (until resumed)';

/** A hint the arbiter accepted (HintProposed), as an event or as explain shows it. */
export function hintProposedText(hint: {
  hintId: string;
  slot: 'interval' | 'oneShot';
  source: string;
  sourceId: string;
  reason: string;
  expiresAt: string;
  intervalMs?: number | undefined;
  runAt?: string | undefined;
  fromEndpointId?: string | undefined;
  clamped?: { requested: number; applied: number; bound: string } | undefined;
}): string {
  const what =
    hint.slot === 'interval'
      ? `interval ${duration(hint.intervalMs ?? 0)}`
      : `one run at ${hint.runAt ?? '?'}`;
  const from = hint.fromEndpointId ? ` (analysing ${hint.fromEndpointId})` : '';
  const clamped = hint.clamped
    ? `, clamped from ${duration(hint.clamped.requested)} to the ${hint.clamped.bound} bound`
    : '';
  return (
    `hint ${hint.hintId} accepted: ${what} from ${hint.source}:${hint.sourceId}${from}, ` +
    `expires ${hint.expiresAt}${clamped}${because(hint.reason)}`
  );
}

/** A proposal the arbiter refused (HintRejected): the rule, and the decision that won. */
export function hintRejectedText(refusal: {
  proposalId: string;
  kind?: string | undefined;
  slot?: string | undefined;
  source: string;
  sourceId: string;
  fromEndpointId?: string | undefined;
  rule: string;
  detail: string;
  winner?:
    | {
        kind: string;
        hintId?: string | undefined;
        source?: string | undefined;
        until?: string | null | undefined;
      }
    | undefined;
  cooldownUntil?: string | undefined;
}): string {
  const kind = refusal.kind ?? refusal.slot ?? 'hint';
  const from = refusal.fromEndpointId ? ` (analysing ${refusal.fromEndpointId})` : '';
  const { winner } = refusal;
  const won = !winner
    ? ''
    : winner.kind === 'pause'
      ? `; winner: the pause ${until(winner.until)}`
      : `; winner: hint ${winner.hintId ?? '?'}${winner.source ? ` (${winner.source})` : ''}`;
  const cooldown = refusal.cooldownUntil ? `; cooldown until ${refusal.cooldownUntil}` : '';
  return (
    `proposal ${refusal.proposalId} (${kind}) from ${refusal.source}:${refusal.sourceId}${from} ` +
    `refused by rule ${refusal.rule}: ${refusal.detail}${won}${cooldown}`
  );
}
