/**
 * An explanation (`GET /v1/endpoints/{id}/explain`) for people: the decision, each input the
 * governor looked at, the hints held, the incoming edges, and the recent decisions that
 * produced them.
 */
import {
  dispatchReason,
  duration,
  hintProposedText,
  hintRejectedText,
  type ExplanationView,
} from '@orrery/api';
import { inputRows, or, parts, reasonText, who } from './explain-inputs.js';

type Dependencies = ExplanationView['dependencies'];
type HintEvent = ExplanationView['recentDecisions']['hintEvents'][number];

function edgeText(edge: Dependencies['edges'][number]): string {
  const { gate, breaker, latest } = edge;
  return (
    `${edge.edgeId} (${edge.mode} from ${edge.upstreamEndpointId} when ${edge.condition}): ` +
    parts(
      gate && `gate ${gate.detail}`,
      breaker &&
        `breaker ${breaker.open ? 'open' : 'closed'} (${breaker.failures}/${breaker.afterFailures})`,
      `latest ${or(latest, (l) => `run ${l.runId} ${l.status ?? '-'} ${l.satisfied ? 'satisfied' : 'not satisfied'}`)}`,
      `${edge.waiting} waiting`,
    )
  );
}

const pendingText = (p: Dependencies['pending'][number]) =>
  `cascade ${p.cascadeId} fired ${p.triggeredAt} on ` +
  p.inputs.map((i) => `${i.edgeId} run ${i.runId}`).join(', ');

function hintEventText(event: HintEvent): string {
  switch (event.type) {
    case 'HintProposed':
      return hintProposedText(event);
    case 'HintRejected':
      return hintRejectedText(event);
    case 'HintExpired':
      return `hint ${event.hintId} (${event.slot}) expired at ${event.expiresAt}`;
    case 'HintSuperseded':
      return `hint ${event.hintId} (${event.slot}) superseded by ${event.byHintId}`;
    case 'HintsCleared':
      return (
        `hints cleared (${event.slots.join(', ')}): ${event.hintIds.join(', ') || '-'}` +
        reasonText(event.reason)
      );
  }
}

const section = (title: string, lines: string[]) =>
  [`${title}:`, ...(lines.length > 0 ? lines.map((l) => `  ${l}`) : ['  none'])].join('\n');

/** The explanation as a readable report (what `orrery explain` prints without --json). */
export function explanationText(view: ExplanationView): string {
  const { next, hints, bounds, dependencies, recentDecisions: recent } = view;
  const rows = inputRows(view.inputs);
  const width = Math.max(...rows.map(([name]) => name.length));
  const held = (['interval', 'oneShot'] as const).flatMap((slot) => {
    const hint = hints[slot];
    if (!hint) return [];
    const { hintId, source, sourceId, expiresAt, live, reason } = hint;
    const lapsed = live ? '' : ' (lapsed)';
    return [
      `${slot} ${hintId} from ${source}:${sourceId}, expires ${expiresAt}${lapsed}${reasonText(reason)}`,
    ];
  });
  const slot = next.slot && next.slot !== next.at ? ` (slot ${next.slot})` : '';
  const max = or(bounds.maxIntervalMs, duration);
  return [
    `endpoint ${view.endpointId} (job ${view.jobId}) as of position ${view.asOf.position}, ` +
      `${view.asOf.time} (stream version ${view.streamVersion})`,
    `next run: ${next.at ?? 'none'}${slot} — ${next.reason}`,
    section(
      'inputs',
      rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`),
    ),
    `bounds: min ${duration(bounds.minIntervalMs)}, max ${max}, jitter ${duration(bounds.jitterMs)}`,
    section('hints held', held),
    section('incoming edges', [
      ...dependencies.edges.map(edgeText),
      ...dependencies.pending.map(pendingText),
    ]),
    section(
      'recent dispatches',
      recent.dispatches.map(
        (d) =>
          `#${d.position} ${d.dispatchedAt} run ${d.runId}: ${dispatchReason(d)}, slot ${d.scheduledFor}`,
      ),
    ),
    section(
      'recent hint events',
      recent.hintEvents.map(
        (e) => `#${e.position} ${e.recordedAt} ${who(e.actor)}: ${hintEventText(e)}`,
      ),
    ),
    section(
      'recent cascade events',
      recent.cascadeEvents.map((e) => `#${e.position} ${e.recordedAt} ${e.type}: ${e.summary}`),
    ),
  ].join('\n');
}
