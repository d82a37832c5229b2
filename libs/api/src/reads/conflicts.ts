import type { ArbiterRule, HintSource } from '@orrery/domain';
import type { ConflictRow, StateMet } from '@orrery/scheduling';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { encodeCursor, pageAfter } from '../schemas/common.js';
import type { ConflictView, ConflictWinnerView } from '../schemas/conflicts.js';

/** What a conflict list is narrowed by (all must hold); the tenant always. */
export interface ConflictFilters {
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly job?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly rule?: ArbiterRule | undefined;
  readonly source?: HintSource | undefined;
  /** Inclusive lower bound on the refusal's recorded time. */
  readonly since?: string | undefined;
  /** Exclusive upper bound. */
  readonly until?: string | undefined;
}

/** The winner as recorded: a hint's or a pause's kind and identity. */
interface RecordedWinner {
  readonly kind: 'hint' | 'pause';
  readonly hintId?: string;
  readonly source?: HintSource;
  readonly until?: string | null;
}

/**
 * The decision a refusal met, spelled out: the recorded winner with what the state it met says of
 * it (a hint's interval or run time and expiry, a pause's reason). Refusals recorded before the
 * winner was are given theirs from that state: the hint in the slot for `precedence`, the pause
 * for `pause_wins`.
 */
export function winnerOf(
  recorded: RecordedWinner | null,
  rule: string,
  slot: 'interval' | 'oneShot' | null,
  met: StateMet,
): ConflictWinnerView | null {
  const kind =
    recorded?.kind ??
    (rule === 'pause_wins' ? 'pause' : rule === 'precedence' && slot !== null ? 'hint' : null);
  if (kind === 'pause') {
    const until = recorded?.until !== undefined ? recorded.until : (met.pause?.until ?? null);
    return { kind, until, ...(met.pause ? { reason: met.pause.reason } : {}) };
  }
  if (kind !== 'hint') return null;
  const { interval, oneShot } = met.hints;
  const hint = recorded?.hintId
    ? [interval, oneShot].find((h) => h?.hintId === recorded.hintId)
    : slot === null
      ? null
      : met.hints[slot];
  return {
    kind,
    ...(hint ?? {}),
    ...(recorded?.hintId === undefined ? {} : { hintId: recorded.hintId }),
    ...(recorded?.source === undefined ? {} : { source: recorded.source }),
  };
}

/** A conflicts row as the API shows it, with its winner spelled out. */
export const conflictView = (row: ConflictRow): ConflictView => {
  const stateMet = row.state_met as StateMet;
  return {
    proposalId: row.proposal_id,
    target: { jobId: row.job_id, endpointId: row.endpoint_id },
    kind: row.kind,
    slot: row.slot,
    source: row.source,
    sourceId: row.source_id,
    fromEndpointId: row.from_endpoint_id,
    rule: row.rule,
    detail: row.detail,
    basedOnPosition: row.based_on_position,
    requested: row.requested as Record<string, unknown> | null,
    stateMet,
    winner: winnerOf(row.winner as RecordedWinner | null, row.rule, row.slot, stateMet),
    cooldownUntil: row.cooldown_until === null ? null : row.cooldown_until.toISOString(),
    position: row.position,
    recordedAt: row.recorded_at.toISOString(),
  };
};

/** Newest first by log position; the cursor is the last row's position. */
const PositionCursor = z.number().int().nonnegative();

/**
 * A page of the tenant's refused proposals, from the conflicts read model (newest first; a
 * keyset over `(tenant_id, <filter>, position)` indexes).
 */
export async function listConflicts(
  db: ApiDeps['db'],
  tenantId: string,
  query: ConflictFilters,
): Promise<{ items: ConflictView[]; nextCursor: string | null }> {
  const after = pageAfter(query.cursor, PositionCursor);
  let select = db
    .selectFrom('conflicts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('position', 'desc')
    .limit(query.limit + 1);
  if (query.job !== undefined) select = select.where('job_id', '=', query.job);
  if (query.endpoint !== undefined) select = select.where('endpoint_id', '=', query.endpoint);
  if (query.rule !== undefined) select = select.where('rule', '=', query.rule);
  if (query.source !== undefined) select = select.where('source', '=', query.source);
  if (query.since !== undefined) select = select.where('recorded_at', '>=', new Date(query.since));
  if (query.until !== undefined) select = select.where('recorded_at', '<', new Date(query.until));
  if (after !== undefined) select = select.where('position', '<', after);
  const rows = await select.execute();
  const last = rows[query.limit - 1];
  return {
    items: rows.slice(0, query.limit).map(conflictView),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last.position) : null,
  };
}
