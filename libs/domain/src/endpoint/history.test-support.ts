import { makeEvent, type DomainEvent, type RecordedEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { endpointStream } from '../streams.js';
import { toIso } from '../time.js';
import type { EndpointConfigInput } from './config.js';
import { fold } from './evolve.js';
import type { EndpointState } from './state.js';

/** Builders of endpoint histories for the scheduling unit tests: states are folds of real events. */

/** 2026-01-01T00:00:00Z. */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const SECOND = 1_000;
export const iso = toIso;

export const userMeta: EventMetadata = { tenantId: 't1', actor: { kind: 'user', id: 'u1' } };
const systemMeta: EventMetadata = { tenantId: 't1', actor: { kind: 'system', id: 'test' } };

/** An endpoint called every second (defaults: 10 s timeout, 64 KiB cap). */
export const baseConfig = {
  name: 'orders',
  request: { url: 'http://127.0.0.1:9/x' },
  baseline: { kind: 'interval', everyMs: SECOND },
} as const satisfies EndpointConfigInput;

export const registered = (
  endpointId = 'e1',
  config: Partial<EndpointConfigInput> = {},
  at = T0,
): DomainEvent =>
  makeEvent(
    'EndpointRegistered',
    {
      endpointId,
      jobId: 'j1',
      tenantId: 't1',
      config: { ...baseConfig, ...config },
      registeredAt: iso(at),
    },
    userMeta,
  );

export const dispatched = (
  runId: string,
  scheduledFor: number,
  options: {
    dispatchedAt?: number;
    leaseMs?: number;
    attempt?: number;
    reason?: string;
    hintId?: string;
  } = {},
): DomainEvent => {
  const dispatchedAt = options.dispatchedAt ?? scheduledFor;
  return makeEvent(
    'RunDispatched',
    {
      runId,
      scheduledFor: iso(scheduledFor),
      dispatchedAt: iso(dispatchedAt),
      leaseUntil: iso(dispatchedAt + (options.leaseMs ?? 15 * SECOND)),
      attempt: options.attempt ?? 1,
      reason: options.reason ?? 'baseline_interval',
      ...(options.hintId === undefined ? {} : { hintId: options.hintId }),
    },
    systemMeta,
  );
};

export const responded = (
  runId: string,
  options: {
    at?: number;
    ok?: boolean;
    test?: boolean;
    status?: number | null;
    error?: { kind: 'timeout' | 'network'; message: string };
  } = {},
): DomainEvent => {
  const at = options.at ?? T0;
  const ok = options.ok ?? true;
  return makeEvent(
    'ResponseRecorded',
    {
      runId,
      startedAt: iso(at),
      finishedAt: iso(at + 25),
      durationMs: 25,
      status: options.status === undefined ? (ok ? 200 : 500) : options.status,
      ok,
      headers: {},
      body: null,
      bodyTruncated: false,
      test: options.test ?? false,
      ...(options.error === undefined ? {} : { error: options.error }),
    },
    systemMeta,
  );
};

export const intervalHinted = (
  hintId: string,
  intervalMs: number,
  expiresAt: number,
): DomainEvent =>
  makeEvent(
    'HintProposed',
    {
      slot: 'interval',
      hintId,
      intervalMs,
      source: 'planner',
      sourceId: 'p1',
      reason: 'test',
      expiresAt: iso(expiresAt),
    },
    userMeta,
  );

export const oneShotHinted = (hintId: string, runAt: number, expiresAt: number): DomainEvent =>
  makeEvent(
    'HintProposed',
    {
      slot: 'oneShot',
      hintId,
      runAt: iso(runAt),
      source: 'user',
      sourceId: 'u1',
      reason: 'test',
      expiresAt: iso(expiresAt),
    },
    userMeta,
  );

/** `until: null` pauses until resumed. */
export const pausedUntil = (until: number | null): DomainEvent =>
  makeEvent('Paused', { until: until === null ? null : iso(until) }, userMeta);

export const archived = (): DomainEvent => makeEvent('EndpointArchived', {}, userMeta);

/** The state after these events, as the projection would hold it. */
export const stateOf = (...events: readonly DomainEvent[]): EndpointState => fold(events);

/**
 * Events as read back from the log: versions 1.. of the stream (or from
 * `firstVersion`), positions from `firstPosition`, recorded one second apart from T0.
 */
export function recorded(
  streamId: string,
  events: readonly DomainEvent[],
  options: { firstVersion?: number; firstPosition?: number; recordedAt?: number } = {},
): RecordedEvent[] {
  const firstVersion = options.firstVersion ?? 1;
  const firstPosition = options.firstPosition ?? firstVersion;
  const start = options.recordedAt ?? T0;
  return events.map((event, i) => ({
    ...event,
    streamId,
    streamVersion: firstVersion + i,
    position: firstPosition + i,
    recordedAt: iso(start + i * SECOND),
  }));
}

export const endpointEvents = (
  endpointId: string,
  events: readonly DomainEvent[],
  options: { firstVersion?: number; firstPosition?: number; recordedAt?: number } = {},
): RecordedEvent[] => recorded(endpointStream('t1', endpointId), events, options);

/**
 * A `HintRejected` as version 1 stored it (a one-shot slot, no `kind`): the catalogue's example of
 * an older version, upcast when read (see upcasters.ts).
 */
export const oneShotRefusalV1 = {
  proposalId: 'p1',
  slot: 'oneShot',
  source: 'user',
  sourceId: 'u1',
  rule: 'outranked',
  detail: 'a planner hint holds the slot',
} as const;
