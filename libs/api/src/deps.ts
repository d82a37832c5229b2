import type { EventStore } from '@orrery/domain';
import type { HttpCaller } from '@orrery/http';
import type { SchedulingDb } from '@orrery/scheduling';
import type { SecretBox } from '@orrery/secrets';
import type { Instrumentation } from '@orrery/telemetry';
import type { Kysely } from 'kysely';
import type { createEventStorePool, EventStoreSchema } from '@orrery/event-store';

/** What the API needs, built by the service (or a test) and passed to buildApp. */
export interface ApiDeps {
  readonly store: EventStore;
  /** Read models (jobs, schedule, runs). */
  readonly db: SchedulingDb;
  /**
   * The pg pool under `db`, for the hot reads sent as named prepared statements (Kysely sends
   * none): see `reads/stream-head.ts`.
   */
  readonly pool: ReturnType<typeof createEventStorePool>;
  /** The event table, for filtered reads of the log (GET /v1/events). */
  readonly events: Kysely<EventStoreSchema>;
  readonly secrets: SecretBox;
  /** Calls targets for test runs. */
  readonly caller: HttpCaller;
  readonly now: () => number;
  /**
   * The database's connection string, for work that needs connections of its own: an admin
   * replay keeps its temporary tables in a session of its own. Without it, POST
   * /v1/admin/replay answers 503.
   */
  readonly connectionString?: string;
  /** Guards /v1/admin routes; without it they answer 403. */
  readonly adminKey?: string;
  /**
   * Where the API records its metrics (`http.server.request.duration`, docs/observability.md).
   * Default: nowhere (a no-op meter).
   */
  readonly instrumentation?: Instrumentation;
  /** Per-key rate limit (requests per minute). Default 600. */
  readonly rateLimitPerMinute?: number;
  /**
   * Failed authentications allowed per client address per minute; past it the
   * address is answered 429 before its key is checked. Default 60.
   */
  readonly authFailuresPerMinute?: number;
  /**
   * Bound on the event JSON of one GET /v1/events page, in bytes (a single
   * larger event still comes alone). Default 1 MiB.
   */
  readonly eventPageBytes?: number;
  /**
   * GET /readyz answers 503 when a processor's oldest unhandled event has waited longer than
   * this, in ms. Default 30 s, what the services use and the OpenAPI document states; a program
   * that builds the API (a test) may set another.
   */
  readonly stallAfterMs?: number;
  /** Largest accepted request body in bytes. Default 256 KiB. */
  readonly bodyLimitBytes?: number;
  /** Base URL announced in the OpenAPI document's `servers`. */
  readonly publicUrl?: string;
}
