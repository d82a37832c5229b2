import type { S } from './api.js';

/** A span of time on the timeline: a pause, a live hint, a closed gate or another skip. */
export interface Band {
  readonly kind: 'pause' | 'hint' | 'gate' | 'skip';
  readonly label: string;
  /** Epoch ms. */
  readonly from: number;
  /** Epoch ms; null while it lasts (drawn up to now). */
  readonly to: number | null;
}

type Data = Record<string, unknown>;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const time = (iso: unknown): number | null => {
  const text = str(iso);
  return text === undefined ? null : Date.parse(text);
};
const seconds = (ms: unknown) => (typeof ms === 'number' ? `${ms / 1_000} s` : '?');

/**
 * The bands of an endpoint's events (in position order): pauses until their end or the next
 * resume, hints from acceptance to their TTL or the event that ended them (expiry, supersession,
 * clear), and skipped runs (closed gates apart). A skip lasts a moment: one second is drawn.
 */
export function bandsOf(events: readonly S<'Event'>[]): Band[] {
  const bands: Band[] = [];
  let pause: { from: number; until: number | null; reason: string } | null = null;
  const hints = new Map<string, { from: number; to: number | null; label: string }>();
  const endPause = (at: number) => {
    if (!pause) return;
    const to = pause.until === null ? at : Math.min(at, pause.until);
    bands.push({
      kind: 'pause',
      label: `Paused${pause.reason ? `: ${pause.reason}` : ''}`,
      from: pause.from,
      to,
    });
    pause = null;
  };
  const endHint = (hintId: unknown, at: number) => {
    const id = str(hintId);
    const hint = id === undefined ? undefined : hints.get(id);
    if (!hint || id === undefined) return;
    bands.push({
      kind: 'hint',
      label: hint.label,
      from: hint.from,
      to: hint.to === null ? at : Math.min(at, hint.to),
    });
    hints.delete(id);
  };
  for (const event of events) {
    const at = Date.parse(event.recordedAt);
    const data = event.data as Data;
    switch (event.type) {
      case 'Paused':
        endPause(at);
        pause = { from: at, until: time(data['until']), reason: str(data['reason']) ?? '' };
        break;
      case 'Resumed':
        endPause(at);
        break;
      case 'HintProposed': {
        const source = str(data['source']) ?? 'user';
        const label =
          data['slot'] === 'interval'
            ? `Hint: every ${seconds(data['intervalMs'])} (${source})`
            : `Hint: one run at ${new Date(time(data['runAt']) ?? at).toLocaleTimeString([], { hour12: false })} (${source})`;
        const id = str(data['hintId']);
        if (id !== undefined) hints.set(id, { from: at, to: time(data['expiresAt']), label });
        break;
      }
      case 'HintExpired':
      case 'HintSuperseded':
        endHint(data['hintId'], at);
        break;
      case 'HintsCleared':
        for (const id of Array.isArray(data['hintIds']) ? data['hintIds'] : []) endHint(id, at);
        break;
      case 'RunSkipped': {
        const reason = str(data['reason']) ?? 'skipped';
        const gate = reason === 'gate_closed';
        bands.push({
          kind: gate ? 'gate' : 'skip',
          label: gate
            ? `Gate closed (${str(data['edgeId']) ?? 'edge'}): run skipped`
            : `Run skipped: ${reason}`,
          from: at,
          to: at + 1_000,
        });
        break;
      }
      default:
        break;
    }
  }
  const open = pause as { from: number; until: number | null; reason: string } | null;
  if (open) {
    const label = `Paused${open.reason ? `: ${open.reason}` : ''}${open.until === null ? ' (until resumed)' : ''}`;
    bands.push({ kind: 'pause', label, from: open.from, to: open.until });
  }
  for (const hint of hints.values())
    bands.push({ kind: 'hint', label: hint.label, from: hint.from, to: hint.to });
  return bands.sort((a, b) => a.from - b.from);
}

/** The run outcomes the timeline tells apart. */
export type RunClass = 'succeeded' | 'failed' | 'pending';
export const runClass = (outcome: string): RunClass =>
  outcome === 'succeeded' ? 'succeeded' : outcome === 'pending' ? 'pending' : 'failed';
