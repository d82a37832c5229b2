/** The governor's inputs of an explanation, one `name  value` row each (`-`: no part played). */
import { baselineText, duration, type ExplanationView } from '@orrery/api';

type Inputs = ExplanationView['inputs'];

export const who = (actor: { kind: string; id: string }) => `${actor.kind}:${actor.id}`;
export const untilText = (until: string | null) => (until ? `until ${until}` : 'indefinitely');
export const reasonText = (reason: string) => (reason ? ` (${reason})` : '');
/** `text(value)`, or `-` when the input played no part. */
export const or = <T>(value: T | null | undefined, text: (value: NonNullable<T>) => string) =>
  value === null || value === undefined ? '-' : text(value);
/** The parts that are set, comma-separated. */
export const parts = (...items: (string | false | null | undefined)[]) =>
  items.filter((item) => typeof item === 'string' && item !== '').join(', ');

function jobHold(job: NonNullable<Inputs['job']>): string {
  if (job.archived) return `job ${job.jobId} archived`;
  if (!job.pause) return `job ${job.jobId} not held (version ${job.version})`;
  const { until, actor, reason } = job.pause;
  return `job ${job.jobId} paused ${untilText(until)} by ${who(actor)}${reasonText(reason)}`;
}

const cascadeInput = ({ pending, head, failingEdges }: NonNullable<Inputs['cascade']>) =>
  parts(
    `${pending} pending`,
    head &&
      `head ${head.cascadeId} fired ${head.triggeredAt}${head.won ? ' (chose this run)' : ''}`,
    failingEdges.length > 0 && `failing edges ${failingEdges.join(', ')}`,
  );

/** Each governor input, one `name  value` row. */
export const inputRows = (inputs: Inputs): [string, string][] => [
  ['status', inputs.status],
  [
    'pause',
    or(
      inputs.pause,
      (p) => `${untilText(p.until)}${reasonText(p.reason)}${p.lapsed ? ', lapsed' : ''}`,
    ),
  ],
  ['job hold', or(inputs.job, jobHold)],
  [
    'tenant hold',
    or(inputs.tenant?.disabled, (d) => `disabled by ${who(d.actor)}${reasonText(d.reason)}`),
  ],
  ['baseline', or(inputs.baseline, baselineText)],
  [
    'anchor',
    or(inputs.anchor, (a) =>
      a.kind === 'lastRun'
        ? `last run ${a.runId}, slot ${a.scheduledFor}, dispatched ${a.dispatchedAt}`
        : `registered at ${a.at}`,
    ),
  ],
  [
    'backoff',
    or(
      inputs.backoff,
      (b) => `${b.failures} failure(s): ${duration(b.delayMs)}, not before ${b.notBefore ?? '-'}`,
    ),
  ],
  [
    'interval hint',
    or(
      inputs.intervalHint,
      (h) =>
        `${h.hintId} from ${h.source}:${h.sourceId}: ${duration(h.intervalMs)}, ` +
        `expires ${h.expiresAt}`,
    ),
  ],
  [
    'one-shot hint',
    or(
      inputs.oneShotHint,
      (h) =>
        `${h.hintId} from ${h.source}:${h.sourceId}: run at ${h.runAt}` +
        `${h.won ? ' (chose this run)' : ''}`,
    ),
  ],
  [
    'ignored hints',
    inputs.ignoredHints.map((h) => `${h.hintId} (${h.slot}, ${h.why})`).join(', ') || '-',
  ],
  ['cadence', inputs.cadenceAt ?? '-'],
  [
    'jitter',
    or(inputs.jitter, (j) => `${duration(j.offsetMs)} of ${duration(j.jitterMs)} on ${j.slot}`),
  ],
  ['candidate', inputs.candidate ?? '-'],
  [
    'clamp',
    or(inputs.clamp, (c) => `${c.bound} interval ${duration(c.intervalMs)}: not past ${c.limit}`),
  ],
  [
    'in flight',
    or(
      inputs.inFlight,
      (f) => `run ${f.runId} (attempt ${f.attempt}), lease until ${f.leaseUntil}`,
    ),
  ],
  ['cascade', or(inputs.cascade, cascadeInput)],
];
