import {
  parseEndpointStream,
  type EventType,
  type Millis,
  type RecordedEvent,
} from '@orrery/domain';
import type { Processor, ProcessorContext, SchedulingDb } from '@orrery/scheduling';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { SessionRunner, type SessionRunnerOptions, type SessionTrigger } from './session-runner.js';

/** How often the host looks in while sessions run (to start the next ones). */
const SESSION_POLL_MS = 200;
import { plannerDb, type PlannerDb } from './tables.js';
import { PlannerUsage } from './usage.js';

export interface PlannerProcessorOptions extends SessionRunnerOptions {
  /** Responses within this time of an endpoint's first unanalysed one share its session. */
  readonly debounceMs: number;
  /** Sessions run at once. */
  readonly concurrency: number;
  /** This instance's shard of the tenants (`index` of `count`); one active per shard. */
  readonly shard?: { readonly index: number; readonly count: number };
}

/** Stable shard of a tenant: FNV-1a of its id. */
export function shardOf(tenantId: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tenantId.length; i++) {
    hash ^= tenantId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/**
 * The planner on the processor layer. Its `handle` queues each analysed endpoint
 * (`planner_queue`, in the transaction of its checkpoint: a response is never forgotten,
 * whatever crashes), debounced — the responses that arrive within `debounceMs` of an endpoint's
 * first unanalysed one share one session. Its `due` runs the sessions whose time has come.
 *
 * One instance per shard is active (the processor's lease), so the tenant's budgets are counted
 * by one writer. A session interrupted by a crash or a takeover appends nothing and runs again
 * from its queue row; one that committed twice has no second effect (its keys).
 */
export class PlannerProcessor implements Processor {
  readonly name: string;
  readonly #db: PlannerDb;
  readonly #runner: SessionRunner;
  readonly #usage: PlannerUsage;
  #prunedAt = 0;
  /** Sessions in flight, by endpoint: one at a time per endpoint. */
  readonly #running = new Map<string, Promise<void>>();
  readonly #stopping = new AbortController();

  constructor(private readonly options: PlannerProcessorOptions) {
    const shard = options.shard;
    this.name =
      shard && shard.count > 1 ? `planner-${shard.index + 1}-of-${shard.count}` : 'planner';
    this.#db = plannerDb(options.db);
    this.#runner = new SessionRunner(options);
    this.#usage = new PlannerUsage(this.#db);
  }

  readonly types = ['ResponseRecorded'] as const satisfies readonly EventType[];
  readonly wants = (event: RecordedEvent): boolean => {
    if (event.type !== 'ResponseRecorded' || event.data.test) return false;
    const ref = parseEndpointStream(event.streamId);
    if (ref === null) return false;
    const shard = this.options.shard;
    return !shard || shard.count <= 1 || shardOf(ref.tenantId, shard.count) === shard.index;
  };

  async handle(events: readonly RecordedEvent[], ctx: ProcessorContext): Promise<void> {
    const rows = new Map<
      string,
      {
        tenant_id: string;
        endpoint_id: string;

        due_at: Date;
        run_id: string;
        position: number;
      }
    >();
    for (const event of events) {
      const ref = parseEndpointStream(event.streamId);
      if (event.type !== 'ResponseRecorded' || ref === null) continue;
      const key = event.streamId;
      const first = rows.get(key);
      rows.set(key, {
        tenant_id: ref.tenantId,
        endpoint_id: ref.id,
        due_at: first?.due_at ?? new Date(Date.parse(event.recordedAt) + this.options.debounceMs),
        run_id: event.data.runId,
        position: event.position,
      });
    }
    await this.options.db.transaction().execute(async (trx) => {
      if (rows.size > 0) {
        await plannerDb(trx as SchedulingDb)
          .insertInto('planner_queue')
          .values([...rows.values()])
          .onConflict((oc) =>
            oc.columns(['tenant_id', 'endpoint_id']).doUpdateSet({
              // The debounce runs from the first unanalysed response; the session reads the latest.
              due_at: sql`least(planner_queue.due_at, excluded.due_at)`,
              run_id: sql`excluded.run_id`,
              position: sql`greatest(planner_queue.position, excluded.position)`,
            }),
          )
          .execute();
      }
      await ctx.fence(trx);
    });
  }

  /**
   * Starts the sessions that are due, up to `concurrency` at once, and returns without waiting
   * for them: the processor keeps following the log while a model thinks. Returns when to look
   * again (soon while sessions run, else when the next one is due).
   */
  async due(now: Millis, { log }: { log: Logger }): Promise<Millis | null> {
    const free = this.options.concurrency - this.#running.size;
    if (free > 0) {
      const due = await this.#db
        .selectFrom('planner_queue')
        .selectAll()
        .where('due_at', '<=', new Date(now))
        .orderBy('due_at')
        .limit(free + this.#running.size)
        .execute();
      for (const row of due) {
        const key = `${row.tenant_id}\n${row.endpoint_id}`;
        if (this.#running.size >= this.options.concurrency || this.#running.has(key)) continue;
        const trigger = {
          tenantId: row.tenant_id,
          endpointId: row.endpoint_id,
          runId: row.run_id,
          position: Number(row.position),
        };
        const session = this.#session(trigger, log).finally(() => this.#running.delete(key));
        this.#running.set(key, session);
      }
    }
    if (now - this.#prunedAt > 10 * 60_000) {
      this.#prunedAt = now;
      await this.#usage.prune(now);
    }
    if (this.#running.size > 0) return now + SESSION_POLL_MS;
    const next = await this.#db
      .selectFrom('planner_queue')
      .select((eb) => eb.fn.min('due_at').as('at'))
      .executeTakeFirst();
    return next?.at ? new Date(next.at).getTime() : null;
  }

  /** Aborts the sessions in flight (nothing of theirs is applied) and waits for them: stop. */
  async settle(): Promise<void> {
    this.#stopping.abort();
    await Promise.all(this.#running.values());
  }

  async #session(trigger: SessionTrigger, log: Logger): Promise<void> {
    try {
      await this.#runner.run(trigger, this.#stopping.signal);
    } catch (error) {
      // The row stays: the session runs again after the debounce.
      log.error({ err: error, ...trigger }, 'planner session failed');
      await this.#db
        .updateTable('planner_queue')
        .set({ due_at: new Date(this.options.now() + Math.max(this.options.debounceMs, 1_000)) })
        .where('tenant_id', '=', trigger.tenantId)
        .where('endpoint_id', '=', trigger.endpointId)
        .execute()
        .catch((e: unknown) => log.warn({ err: e }, 'could not reschedule a planner session'));
      return;
    }
    // Stopping: the row stays, so the session runs again after a restart (committed twice, it
    // has no second effect).
    if (this.#stopping.signal.aborted) return;
    await this.#done(trigger.tenantId, trigger.endpointId, trigger.position).catch((e: unknown) =>
      log.warn({ err: e }, 'could not dequeue a planner session'),
    );
  }

  /** Analysed up to `position`: the row goes, unless newer responses came meanwhile (debounced again). */
  async #done(tenantId: string, endpointId: string, position: number): Promise<void> {
    const deleted = await this.#db
      .deleteFrom('planner_queue')
      .where('tenant_id', '=', tenantId)
      .where('endpoint_id', '=', endpointId)
      .where('position', '<=', position)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) {
      await this.#db
        .updateTable('planner_queue')
        .set({ due_at: new Date(this.options.now() + this.options.debounceMs) })
        .where('tenant_id', '=', tenantId)
        .where('endpoint_id', '=', endpointId)
        .execute();
    }
  }
}
