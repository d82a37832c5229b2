/** What the endpoint actions (runs.ts, steering.ts) see of the simulation (simulation.ts). */
import type {
  EdgeDefinition,
  EndpointState,
  EventDataInput,
  EventMetadata,
  HintSlot,
  JobCommand,
  TenantCommand,
  Holds,
  Millis,
  DomainEvent,
  UpstreamResponse,
} from '@orrery/domain';
import type { LogBuffer } from './log-buffer.js';
import type { Random } from './random.js';
import type { World } from './world.js';

/** Something that happens at `at` (simulated time) to endpoint `index`. */
export type EndpointAction =
  /** The dispatcher claims it (when the schedule said it was due; `gen` drops stale ones). */
  | { at: Millis; kind: 'tick'; index: number; gen: number }
  /** The executor records the response of a run. */
  | {
      at: Millis;
      kind: 'respond';
      index: number;
      runId: string;
      traceparent: string;
      data: EventDataInput<'ResponseRecorded'>;
    }
  /** The cascade processor hands an upstream response to this downstream. */
  | { at: Millis; kind: 'observe'; index: number; edge: EdgeDefinition; response: UpstreamResponse }
  /** A planner or a user acts after a response (hints, pauses). */
  | { at: Millis; kind: 'steer'; index: number; basedOn: number }
  /** The hint-expiry processor records a lapsed hint. */
  | { at: Millis; kind: 'expire'; index: number; hintId: string; slot: HintSlot }
  | { at: Millis; kind: 'resume'; index: number };

/** Something that happens to a job or a tenant (a pause, a tenant disabled). */
export type Action =
  | EndpointAction
  | { at: Millis; kind: 'job'; job: number; command: JobCommand }
  | { at: Millis; kind: 'tenant'; tenant: number; command: TenantCommand };

export interface Sim {
  readonly world: World;
  readonly rng: Random;
  readonly log: LogBuffer;
  state(index: number): EndpointState;
  /** The job's and tenant's holds on the endpoint, now. */
  holds(index: number): Holds;
  metadata(
    index: number,
    actor: EventMetadata['actor'],
    extra?: Partial<EventMetadata>,
  ): EventMetadata;
  /** Appends to the endpoint's stream at `at` and folds; returns the first event's position. */
  apply(index: number, events: readonly DomainEvent[], at: Millis, key?: string): number;
  later(action: Action): void;
  /** Schedules the endpoint's next claim (and its hints' expiries) from its state at `now`. */
  reschedule(index: number, now: Millis): void;
  /** Schedules its next claim at `at` (instead of any other), when that is known already. */
  claimAt(index: number, at: Millis): void;
}

/** Lease beyond the timeout (the dispatcher's default margin). */
export const LEASE_MARGIN_MS = 15_000;
