import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { SchedulingSchema } from '../read-model/schema.js';

type Db = Kysely<SchedulingSchema>;

/** Another host holds the processor's lease: this one must stop moving its checkpoint. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(readonly processor: string) {
    super(`the lease of processor ${processor} is held by another host`);
  }
}

/** A held lease: its fencing token and the position the checkpoint was at when taken. */
export interface HeldLease {
  readonly token: string;
  readonly position: number;
}

/**
 * The lease of one processor, on its `processor_checkpoints` row. Times are the database's
 * (`now()`), so hosts with skewed clocks agree on who holds it.
 *
 * - `acquire` takes the lease when it is free or has lapsed (its holder died or stopped
 *   renewing), with a new token: the fencing token of every later write.
 * - `renew` extends it; false when another host took it meanwhile.
 * - `fence` (inside the caller's transaction) locks the row and checks the token, and moves the
 *   checkpoint when given a position: a host that lost the lease can never move it, and nobody
 *   can take the lease while the transaction that checked it is open.
 */
export class ProcessorLease {
  readonly owner: string;

  constructor(
    private readonly db: Db,
    readonly processor: string,
    private readonly ttlMs: number,
    owner?: string,
  ) {
    this.owner = owner ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
  }

  async acquire(): Promise<HeldLease | null> {
    const token = randomUUID();
    await sql`insert into processor_checkpoints (name, position, updated_at)
      values (${this.processor}, 0, now()) on conflict (name) do nothing`.execute(this.db);
    const { rows } = await sql<{ position: number | string }>`
      update processor_checkpoints
      set owner = ${this.owner}, token = ${token},
          lease_until = now() + make_interval(secs => ${this.ttlMs / 1000})
      where name = ${this.processor} and (lease_until is null or lease_until < now())
      returning position`.execute(this.db);
    const row = rows[0];
    return row ? { token, position: Number(row.position) } : null;
  }

  async renew(token: string): Promise<boolean> {
    const result = await sql`update processor_checkpoints
      set lease_until = now() + make_interval(secs => ${this.ttlMs / 1000})
      where name = ${this.processor} and token = ${token}`.execute(this.db);
    return Number(result.numAffectedRows ?? 0) === 1;
  }

  /** Lets another host take over at once (a clean stop). */
  async release(token: string): Promise<void> {
    await sql`update processor_checkpoints set lease_until = now() - interval '1 millisecond'
      where name = ${this.processor} and token = ${token}`.execute(this.db);
  }

  /**
   * Checks the lease inside `trx` and, with `position`, moves the checkpoint there.
   * @throws LeaseLostError when another host holds the lease (roll the transaction back).
   */
  async fence(trx: Kysely<SchedulingSchema>, token: string, position?: number): Promise<void> {
    const result =
      position === undefined
        ? await sql`/* prepare: orrery-lease-fence */ update processor_checkpoints set token = token
            where name = ${this.processor} and token = ${token}`.execute(trx)
        : await sql`/* prepare: orrery-checkpoint-fence */
            update processor_checkpoints set position = ${position}, updated_at = now()
            where name = ${this.processor} and token = ${token}`.execute(trx);
    if (Number(result.numAffectedRows ?? 0) !== 1) throw new LeaseLostError(this.processor);
  }
}
