import {
  foldWith,
  tenantDecider,
  tenantStream,
  type EventStore,
  type TenantState,
} from '@orrery/domain';
import { TENANTS_CHANNEL } from '@orrery/event-store';
import { backoffMs, listen, type Listener } from '@orrery/postgres';

/** What the cache reports to an operator (logged by buildApp's logger). */
export interface TenantKeyCacheLog {
  warn(object: object, message: string): void;
  info(object: object, message: string): void;
}

export interface TenantKeyCacheOptions {
  readonly store: EventStore;
  /**
   * The database to LISTEN on for `orrery_tenants`. Without it nothing is cached: every request
   * folds its tenant's stream, as before the cache.
   */
  readonly connectionString?: string | undefined;
  /** Tenants kept at once; past it the oldest entry is dropped. Default 10 000. */
  readonly maxTenants?: number;
  readonly log?: TenantKeyCacheLog;
}

/**
 * The tenants whose API keys requests present, folded from their streams and kept in memory so
 * a request does not read the log to check its key. The key itself is still checked on every
 * request (SHA-256 of the presented secret against the stored hash, in constant time): only the
 * tenant's state — its keys' hashes, revocations, whether it is disabled — is cached.
 *
 * An entry is dropped when Postgres notifies `orrery_tenants` with the tenant's id, which a
 * trigger on `events` does in the same transaction as any append to a tenant stream (key created
 * or revoked, tenant disabled or enabled), whichever process appends. Before a request is let in
 * from memory, the cache makes a round trip on its LISTEN connection (one for all the requests
 * waiting at that moment): PostgreSQL sends a session its pending notifications before it
 * answers, so a change committed before the request arrived has been heard by then, on every API
 * process, and the request is checked against the log instead. Nothing is cached unless the LISTEN connection is
 * up: while it is down (not yet open, lost, reconnecting) every request reads the log, and the
 * cache starts empty each time LISTEN is back, since notifications sent meanwhile were missed.
 *
 * A fold that was in flight when a notification for its tenant (or a reconnect) arrived is used
 * for its own request but not kept: it may predate the change.
 */
export class TenantKeyCache {
  readonly #store: EventStore;
  readonly #connectionString: string | undefined;
  readonly #maxTenants: number;
  readonly #log: TenantKeyCacheLog | undefined;
  /** Map order is insertion order: the first entry is the oldest. */
  readonly #tenants = new Map<string, TenantState>();
  /** Bumped by every notification for the tenant, and for all at once by `#epoch`. */
  readonly #changes = new Map<string, number>();
  #epoch = 0;
  #listener: Listener | undefined;
  #state: 'idle' | 'opening' | 'listening' | 'down' | 'closed' = 'idle';
  #retry: NodeJS.Timeout | undefined;
  /** The round trip on the LISTEN connection in flight, and the one callers wait for after it. */
  #syncing: Promise<void> | undefined;
  #nextSync: Promise<void> | undefined;
  #attempt = 0;

  constructor(options: TenantKeyCacheOptions) {
    this.#store = options.store;
    this.#connectionString = options.connectionString;
    this.#maxTenants = options.maxTenants ?? 10_000;
    this.#log = options.log;
  }

  /** Whether entries are being kept (the LISTEN connection is up). */
  get listening(): boolean {
    return this.#state === 'listening';
  }

  /** Opens the LISTEN connection; a failure is retried in the background, never thrown. */
  async start(): Promise<void> {
    if (!this.#connectionString || this.#state !== 'idle') return;
    await this.#open();
  }

  /** The tenant as of its stream's head, from memory when the cache holds it. */
  async tenant(tenantId: string): Promise<TenantState> {
    if (this.#tenants.has(tenantId)) {
      // A round trip on the LISTEN connection first (shared by the requests that wait for it):
      // every notification of a change committed before this request is heard by then.
      const synced = await this.#sync().then(
        () => true,
        () => false,
      );
      const kept = synced ? this.#tenants.get(tenantId) : undefined;
      if (kept) return kept;
    }
    const listening = this.#state === 'listening';
    const epoch = this.#epoch;
    const change = this.#changes.get(tenantId) ?? 0;
    const state = foldWith(tenantDecider, await this.#store.readStream(tenantStream(tenantId)));
    // Unknown tenants are not kept: a flood of made-up tenant ids must not fill the cache.
    const unchanged =
      listening &&
      this.#state === 'listening' &&
      epoch === this.#epoch &&
      change === (this.#changes.get(tenantId) ?? 0);
    if (unchanged && state.exists) {
      this.#tenants.set(tenantId, state);
      for (const oldest of this.#tenants.keys()) {
        if (this.#tenants.size <= this.#maxTenants) break;
        this.#tenants.delete(oldest);
      }
    }
    return state;
  }

  /**
   * Resolves after a round trip on the LISTEN connection that started after this call. One is in
   * flight at a time; callers that arrive while it is out share the next one.
   */
  #sync(): Promise<void> {
    if (this.#nextSync) return this.#nextSync;
    const send = (): Promise<void> => {
      const listener = this.#listener;
      if (!listener || this.#state !== 'listening') {
        return Promise.reject(new Error('not listening'));
      }
      const sent = listener.sync().finally(() => {
        if (this.#syncing === sent) this.#syncing = undefined;
      });
      this.#syncing = sent;
      return sent;
    };
    if (!this.#syncing) return send();
    const next = this.#syncing
      .catch(() => undefined)
      .then(() => {
        this.#nextSync = undefined;
        return send();
      });
    this.#nextSync = next;
    return next;
  }

  /** Drops a tenant now (this process changed it; the notification is on its way too). */
  forget(tenantId: string): void {
    this.#tenants.delete(tenantId);
    this.#changes.set(tenantId, (this.#changes.get(tenantId) ?? 0) + 1);
  }

  async close(): Promise<void> {
    this.#state = 'closed';
    clearTimeout(this.#retry);
    this.#forgetAll();
    await this.#listener?.close();
    this.#listener = undefined;
  }

  #closed(): boolean {
    return this.#state === 'closed';
  }

  #forgetAll(): void {
    this.#tenants.clear();
    this.#changes.clear();
    this.#epoch += 1;
  }

  async #open(): Promise<void> {
    const url = this.#connectionString;
    if (!url || this.#state === 'closed') return;
    this.#state = 'opening';
    try {
      const listener = await listen(
        url,
        TENANTS_CHANNEL,
        (tenantId) => {
          if (tenantId) this.forget(tenantId);
        },
        (error) => this.#lost(error),
        'orrery-api-tenant-keys',
      );
      // close() may have been called while LISTEN was being set up.
      if (this.#closed()) {
        await listener.close();
        return;
      }
      this.#listener = listener;
      // Anything folded before LISTEN was in place may have missed a notification.
      this.#forgetAll();
      this.#state = 'listening';
      if (this.#attempt > 0) this.#log?.info({}, 'API key cache: listening again');
      this.#attempt = 0;
    } catch (error) {
      this.#lost(error);
    }
  }

  #lost(error: unknown): void {
    if (this.#state === 'closed') return;
    this.#state = 'down';
    this.#listener = undefined;
    this.#forgetAll();
    const delay = backoffMs(this.#attempt++);
    this.#log?.warn(
      { err: error, retryInMs: delay },
      'API key cache: LISTEN orrery_tenants lost; every request reads its tenant from the log until it is back',
    );
    this.#retry = setTimeout(() => void this.#open(), delay);
    this.#retry.unref();
  }
}
