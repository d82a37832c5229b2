import type { EventType, Millis, RecordedEvent } from '@orrery/domain';
import type { SpanContext } from '@opentelemetry/api';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { SchedulingSchema } from '../read-model/schema.js';

/** What a processor's `handle` may use besides the events. */
export interface ProcessorContext {
  readonly log: Logger;
  /**
   * Fences the work of `handle` inside the processor's own transaction: checks that this host
   * still holds the lease (else throws LeaseLostError, rolling the transaction back) and, for a
   * whole batch, moves the checkpoint in the same transaction — so the work and the checkpoint
   * commit together. A processor that keeps no state of its own need not call it: the host
   * moves the checkpoint after `handle` returns.
   */
  readonly fence: (trx: Kysely<SchedulingSchema>) => Promise<void>;
  /** The batch's span (`orrery.processor.batch`): spans per event link to it. */
  readonly span?: SpanContext;
}

/**
 * A named, checkpointed consumer of the log (see {@link ProcessorHost}): the projection, the
 * hint-expiry processor, later cascades and the planner. It appends through the command handler
 * with idempotency keys derived from the event it handles, so handling an event twice (after a
 * crash, or a takeover) has no second effect.
 */
export interface Processor {
  /** The checkpoint's and lease's name; one active instance per name. */
  readonly name: string;
  /**
   * The only event types it can want, when it handles a few: the host then reads just these from
   * the log (events of other types are neither sent by the database nor decoded here). Absent: it
   * reads every event.
   */
  readonly types?: readonly EventType[];
  /** The events it handles; others are skipped (the checkpoint still moves past them). */
  readonly wants?: (event: RecordedEvent) => boolean;
  /**
   * Handles events in position order — a batch of the log, or (after a failure) the events of
   * one stream alone. Must be idempotent per event.
   */
  handle(events: readonly RecordedEvent[], ctx: ProcessorContext): Promise<void>;
  /** Work that is due by time, not by an event; returns when it is due next (null: never). */
  due?(now: Millis, ctx: Pick<ProcessorContext, 'log'>): Promise<Millis | null>;
}
