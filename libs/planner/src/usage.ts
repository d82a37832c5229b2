import type { Millis } from '@orrery/domain';
import { sql } from 'kysely';
import type { PlannerDb } from './tables.js';

/** Usage is counted in one-minute buckets and summed over any window. */
const BUCKET_MS = 60_000;
/** Buckets older than this are dropped now and then. */
const KEEP_MS = 48 * 60 * 60_000;

const bucketOf = (at: Millis) => new Date(Math.floor(at / BUCKET_MS) * BUCKET_MS);

/**
 * The planner's use of its budgets: model sessions and tokens per tenant, planner-induced
 * extra runs per job. Written by the one active planner of the tenant's shard (its lease), so
 * counts and checks do not race.
 */
export class PlannerUsage {
  constructor(private readonly db: PlannerDb) {}

  async sum(tenantId: string, scope: string, windowMs: number, now: Millis) {
    const row = await this.db
      .selectFrom('planner_usage')
      .select((eb) => [
        eb.fn.coalesce(eb.fn.sum<number>('sessions'), sql<number>`0`).as('sessions'),
        eb.fn.coalesce(eb.fn.sum<number>('tokens'), sql<number>`0`).as('tokens'),
        eb.fn.coalesce(eb.fn.sum<number>('extra_runs'), sql<number>`0`).as('extra_runs'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('scope', '=', scope)
      .where('window_start', '>', new Date(now - windowMs))
      .executeTakeFirst();
    return {
      sessions: Number(row?.sessions ?? 0),
      tokens: Number(row?.tokens ?? 0),
      extraRuns: Number(row?.extra_runs ?? 0),
    };
  }

  async add(
    tenantId: string,
    scope: string,
    at: Millis,
    add: { sessions?: number; tokens?: number; extraRuns?: number },
  ): Promise<void> {
    const sessions = add.sessions ?? 0;
    const tokens = add.tokens ?? 0;
    const extraRuns = add.extraRuns ?? 0;
    await this.db
      .insertInto('planner_usage')
      .values({
        tenant_id: tenantId,
        scope,
        window_start: bucketOf(at),
        sessions,
        tokens,
        extra_runs: extraRuns,
      })
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'scope', 'window_start']).doUpdateSet({
          sessions: sql`planner_usage.sessions + ${sessions}`,
          tokens: sql`planner_usage.tokens + ${tokens}`,
          extra_runs: sql`planner_usage.extra_runs + ${extraRuns}`,
        }),
      )
      .execute();
  }

  async prune(now: Millis): Promise<void> {
    await this.db
      .deleteFrom('planner_usage')
      .where('window_start', '<', new Date(now - KEEP_MS))
      .execute();
  }
}
