/**
 * Bench-only instrumentation: times every statement the pg driver runs in this
 * process, grouped by what it does (claim, append lock, projection upsert, …),
 * plus transactions (begin → commit) and the time the event log's ordering
 * lock is held. It wraps `pg.Client.prototype.query` and `pg.Pool.prototype.connect`
 * of the one `pg` module the libs share; `uninstall()` restores both.
 */
import pg from 'pg';
import { SeriesMap, Samples } from './stats.js';

interface TxnState {
  readonly startedAt: number;
  label: string | null;
  lockedAt: number | null;
}

/** What a statement does, from its text (the libs' statements are fixed strings). */
const KINDS: readonly [RegExp, string][] = [
  [/\/\* bench \*\//, 'bench probe'],
  [/^begin\b/i, 'begin'],
  [/^commit\b/i, 'commit'],
  [/^rollback\b/i, 'rollback'],
  [/pg_advisory_xact_lock/, 'append: ordering lock (wait)'],
  [/max\("stream_version"\)/, 'append: current versions'],
  [/select "idempotency_key"/, 'append: idempotency keys'],
  [/insert into events/, 'append: insert events'],
  [/with due as/, 'dispatch: claim'],
  [/set claimed_until = d\.until/, 'dispatch: defer claims'],
  [/min\(greatest\(next_run_at/, 'dispatch: next claimable'],
  [/"hint_expires_at" <=/, 'hint-expirer: due'],
  [/min\("hint_expires_at"\)/, 'hint-expirer: next'],
  [/from "events" where "position" >/, 'projection: read events'],
  [/select "endpoint_id", "state" from "schedule"/, 'projection: load states'],
  [/insert into "schedule"/, 'projection: upsert schedule'],
  [/insert into "runs"/, 'projection: insert runs'],
  [/update runs set status/, 'projection: update runs'],
  [/update processor_checkpoints set position/, 'projection: checkpoint'],
  [/pg_notify/, 'projection: notify'],
  [/^listen /i, 'listen'],
];

const kindCache = new Map<string, string>();

/** `kindOf`, memoised (the libs' statements are few distinct strings; bounded anyway). */
function cachedKindOf(text: string): string {
  let kind = kindCache.get(text);
  if (kind === undefined) {
    kind = kindOf(text);
    if (kindCache.size < 10_000) kindCache.set(text, kind);
  }
  return kind;
}

export function kindOf(text: string): string {
  const trimmed = text.trimStart();
  for (const [pattern, kind] of KINDS) if (pattern.test(trimmed)) return kind;
  return `other: ${trimmed.replace(/\s+/g, ' ').slice(0, 60)}`;
}

/** The transaction a statement opens, named by its first statement. */
function txnLabelOf(kind: string): string {
  const i = kind.indexOf(':');
  return i > 0 ? kind.slice(0, i) : kind;
}

export interface SqlStat {
  readonly kind: string;
  readonly count: number;
  readonly totalMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly rows: number;
}

export class SqlTrace {
  #statements = new SeriesMap();
  #rows = new Map<string, number>();
  #lockHeld = new Samples();
  #since = performance.now();
  readonly #txns = new WeakMap<object, TxnState>();
  #uninstall: (() => void) | undefined;

  /** Patches the pg driver (idempotent). */
  install(): void {
    if (this.#uninstall) return;
    const query = pg.Client.prototype.query;
    const connect = pg.Pool.prototype.connect;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const trace = this;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]): unknown {
      const first = args[0];
      const text =
        typeof first === 'string'
          ? first
          : typeof first === 'object' && first !== null && 'text' in first
            ? String((first as { text: unknown }).text)
            : '';
      const started = performance.now();
      const result: unknown = Reflect.apply(query, this, args);
      if (text !== '' && isPromise(result)) {
        result.then(
          (r: unknown) => trace.#record(this, text, args[1], started, rowsOf(r)),
          () => trace.#record(this, text, args[1], started, 0),
        );
      }
      return result;
    } as typeof query;
    pg.Pool.prototype.connect = function (this: pg.Pool, ...args: unknown[]): unknown {
      const started = performance.now();
      const result: unknown = Reflect.apply(connect, this, args);
      if (isPromise(result)) {
        const kind = `pool acquire (pool of ${this.options.max ?? 10})`;
        result.then(
          () => trace.#statements.get(kind).add(performance.now() - started),
          () => undefined,
        );
      }
      return result;
    } as typeof connect;
    this.#uninstall = () => {
      pg.Client.prototype.query = query;
      pg.Pool.prototype.connect = connect;
    };
  }

  uninstall(): void {
    this.#uninstall?.();
    this.#uninstall = undefined;
  }

  /** Starts a new measuring window. */
  reset(): void {
    this.#statements = new SeriesMap();
    this.#rows = new Map();
    this.#lockHeld = new Samples();
    this.#since = performance.now();
  }

  #record(client: object, text: string, params: unknown, started: number, rows: number): void {
    const ended = performance.now();
    let kind = cachedKindOf(text);
    const txn = this.#txns.get(client);
    if (kind === 'begin') {
      // The event store sends `begin; select pg_advisory_xact_lock(…)` as one query.
      const locked = text.includes('pg_advisory_xact_lock') ? ended : null;
      this.#txns.set(client, { startedAt: started, label: null, lockedAt: locked });
    } else if (kind === 'commit' || kind === 'rollback') {
      if (txn) {
        const label = txn.label ?? 'empty';
        kind = `${kind} (${label})`;
        this.#statements.get(`txn: ${label}`).add(ended - txn.startedAt);
        if (txn.lockedAt !== null) this.#lockHeld.add(ended - txn.lockedAt);
        this.#txns.delete(client);
      }
    } else if (txn) {
      txn.label ??= txnLabelOf(kind);
      if (kind === 'append: ordering lock (wait)') txn.lockedAt = ended;
      if (kind === 'append: insert events') {
        // Name append transactions by the event type they write (the 3rd array parameter).
        const types = Array.isArray(params) ? (params[2] as unknown) : undefined;
        const type = Array.isArray(types) ? String(types[0]) : 'events';
        txn.label = `append ${type}`;
      }
    }
    this.#statements.get(kind).add(ended - started);
    this.#rows.set(kind, (this.#rows.get(kind) ?? 0) + rows);
  }

  /** Per statement kind since the last reset, slowest total first. */
  stats(): SqlStat[] {
    return this.#statements
      .entries()
      .map(([kind, samples]) => {
        const s = samples.summary();
        return {
          kind,
          count: s.count,
          totalMs: samples.total,
          meanMs: s.mean,
          p50Ms: s.p50,
          p95Ms: s.p95,
          p99Ms: s.p99,
          maxMs: s.max,
          rows: this.#rows.get(kind) ?? 0,
        };
      })
      .sort((a, b) => b.totalMs - a.totalMs);
  }

  /** How long the ordering lock was held (lock acquired → commit), and its share of wall time. */
  lock(): { holds: number; heldMs: number; utilisation: number; p50Ms: number; p99Ms: number } {
    const s = this.#lockHeld.summary();
    const wall = performance.now() - this.#since;
    return {
      holds: s.count,
      heldMs: this.#lockHeld.total,
      utilisation: wall > 0 ? this.#lockHeld.total / wall : 0,
      p50Ms: s.p50,
      p99Ms: s.p99,
    };
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function rowsOf(result: unknown): number {
  if (typeof result !== 'object' || result === null) return 0;
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? rows.length : 0;
}
