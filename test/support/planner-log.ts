import {
  plannerStream,
  type EventStore,
  type RecordedEvent,
  type SessionProposal,
} from '@orrery/domain';
import type { TenantApi } from './cascade-world.js';
import { ofType } from './cascade-world.js';

type Outcome = Extract<
  RecordedEvent,
  { type: 'HintProposed' | 'HintRejected' | 'Paused' | 'HintsCleared' }
>;

/** The proposal an outcome event answers, when a proposal (not a direct command) caused it. */
export function proposalIdOf(event: RecordedEvent): string | undefined {
  switch (event.type) {
    case 'HintProposed':
      return event.data.hintId;
    case 'HintRejected':
    case 'Paused':
    case 'HintsCleared':
      return event.data.proposalId;
    default:
      return undefined;
  }
}

/** The outcome events of planner proposals on one endpoint's stream, in log order. */
export function plannerOutcomes(events: readonly RecordedEvent[]): Outcome[] {
  return events.filter(
    (e): e is Outcome =>
      (e.type === 'HintProposed' ||
        e.type === 'HintRejected' ||
        e.type === 'Paused' ||
        e.type === 'HintsCleared') &&
      e.data.source === 'planner',
  );
}

/** Every planner session recorded for the analysed endpoints, in log order. */
export async function plannerSessions(
  store: EventStore,
  tenantId: string,
  analysed: readonly string[],
) {
  const sessions = [];
  for (const id of analysed) {
    sessions.push(
      ...ofType(await store.readStream(plannerStream(tenantId, id)), 'PlannerSessionRecorded'),
    );
  }
  return sessions.sort((x, y) => x.position - y.position);
}

/** The proposals of these sessions aimed at `target`. */
export const proposalsFor = (
  sessions: Awaited<ReturnType<typeof plannerSessions>>,
  target: string,
): SessionProposal[] =>
  sessions.flatMap((s) => s.data.proposals.filter((p) => p.targetEndpointId === target));

/**
 * Mismatches between the sessions' proposals for a target and the outcome events on its stream:
 * a proposal with no outcome or more than one, an outcome that disagrees with the session's
 * record, and an outcome no session proposed. Empty when each side answers the other once.
 */
export function outcomeMismatches(
  proposals: readonly SessionProposal[],
  outcomes: readonly Outcome[],
): string[] {
  const byId = new Map<string, Outcome[]>();
  for (const outcome of outcomes) {
    const id = proposalIdOf(outcome) ?? `(no proposal id at ${outcome.position})`;
    byId.set(id, [...(byId.get(id) ?? []), outcome]);
  }
  const problems: string[] = [];
  const proposed = new Set<string>();
  for (const p of proposals) {
    proposed.add(p.proposalId);
    const found = byId.get(p.proposalId) ?? [];
    if (found.length !== 1) {
      problems.push(`${p.proposalId} (${p.outcome}) has ${found.length} outcome events`);
      continue;
    }
    const [event] = found;
    const refused = event?.type === 'HintRejected';
    if (refused !== (p.outcome === 'rejected')) {
      problems.push(`${p.proposalId}: session says ${p.outcome}, the stream ${event?.type}`);
    } else if (event?.type === 'HintRejected' && event.data.rule !== p.rule) {
      problems.push(`${p.proposalId}: session says ${p.rule}, the stream ${event.data.rule}`);
    }
  }
  for (const [id, events] of byId) {
    if (!proposed.has(id)) {
      problems.push(`${id}: ${events.map((e) => e.type).join(', ')} with no session proposing it`);
    }
  }
  return problems;
}

/**
 * One line per event of a stream: position, type, actor, and the source, rule or interval — for
 * a failure report. Events `keep` rejects are only counted, in a last line.
 */
export function streamSummary(
  events: readonly RecordedEvent[],
  keep: (event: RecordedEvent) => boolean = () => true,
): string[] {
  const kept = events.filter(keep);
  const omitted = events.length - kept.length;
  const lines = kept.map((e) => {
    const data = e.data as Record<string, unknown>;
    const parts = [String(e.position), e.type, e.metadata.actor.kind];
    for (const key of [
      'source',
      'rule',
      'intervalMs',
      'hintId',
      'proposalId',
      'reason',
      'edgeId',
      'satisfied',
    ]) {
      if (data[key] !== undefined) parts.push(`${key}=${JSON.stringify(data[key])}`);
    }
    if (data['steering'] !== undefined) parts.push(`steering=${JSON.stringify(data['steering'])}`);
    if (data['cooldownUntil'] !== undefined)
      parts.push(`cooldownUntil=${String(data['cooldownUntil'])}`);
    if (data['cascade'] !== undefined) parts.push('cascade');
    return parts.join(' ');
  });
  return omitted > 0 ? [...lines, `(${omitted} more events omitted)`] : lines;
}

/**
 * Every item of a cursor-paginated list (`items` and `nextCursor`, passed back as `cursorParam`),
 * at most `maxPages` pages.
 */
export async function allPages(
  api: TenantApi,
  path: string,
  { cursorParam = 'cursor', maxPages = 50 }: { cursorParam?: string; maxPages?: number } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<any[]> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const separator = path.includes('?') ? '&' : '?';
    const next: { items: unknown[]; nextCursor: string | null } = await api.ok(
      'GET',
      cursor === null ? path : `${path}${separator}${cursorParam}=${encodeURIComponent(cursor)}`,
    );
    items.push(...next.items);
    cursor = next.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error(`${path}: more than ${maxPages} pages`);
}

/** An event as GET /v1/events shows it (the fields these checks read). */
export interface EventItem {
  readonly position: number;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The chapters of a story in the order their first events come in `events`; a chapter with no
 * event is listed last, marked missing. Compare with the labels in the order expected.
 */
export function chapterOrder(
  events: readonly EventItem[],
  chapters: Readonly<Record<string, (event: EventItem) => boolean>>,
): string[] {
  const firsts = Object.entries(chapters).map(([label, match]) => ({
    label,
    position: events.find(match)?.position ?? Number.POSITIVE_INFINITY,
  }));
  return firsts
    .sort((x, y) => x.position - y.position)
    .map((c) => (Number.isFinite(c.position) ? c.label : `${c.label} (missing)`));
}
