import { catalogue, type EventData, type EventDataInput, type EventType } from './catalogue.js';
import { EventMetadata } from './metadata.js';
import { fail, ok, type Result } from '../errors.js';
import { upcast } from './upcasters.js';

/** A domain event as written: readonly type, data and metadata. */
export type DomainEvent = {
  readonly [T in EventType]: {
    readonly type: T;
    readonly data: Readonly<EventData<T>>;
    readonly metadata: Readonly<EventMetadata>;
  };
}[EventType];

export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** Where an event sits in the log. */
export interface LogPlace {
  readonly position: number;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly recordedAt: string;
}

/** A domain event as read back from the log, with its place in it. */
export type RecordedEvent = DomainEvent & LogPlace;

/**
 * A read event with its place in the log. Built property by property, not by spreading the event:
 * every read of the log runs this, and with the spread a store's decode of an event took 11.5–12.5
 * µs against 4.5–5 µs without (300k generated events, the store's own row decoding).
 */
export function placeEvent(event: DomainEvent, place: LogPlace): RecordedEvent {
  return {
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    position: place.position,
    streamId: place.streamId,
    streamVersion: place.streamVersion,
    recordedAt: place.recordedAt,
  } as RecordedEvent;
}

/** Builds an event, applying the catalogue's defaults; throws on invalid data (a programming error). */
export function makeEvent<T extends EventType>(
  type: T,
  data: EventDataInput<T>,
  metadata: EventMetadata,
): EventOf<T> {
  const parsed = catalogue[type].schema.parse(data);
  return { type, data: parsed, metadata } as unknown as EventOf<T>;
}

/**
 * Validates raw `{type, version, data, metadata}` read from storage against the catalogue. Data of
 * an older version is upcast to the current one first (see `upcasters`), so callers only ever see
 * the current version. Unknown types, newer versions than this code knows, and older ones with no
 * upcaster are errors, not silent passes.
 */
export function parseEvent(raw: {
  type: string;
  version: number;
  data: unknown;
  metadata: unknown;
}): Result<DomainEvent> {
  if (!Object.hasOwn(catalogue, raw.type)) {
    return fail('validation', `unknown event type ${raw.type}`, { field: 'type' });
  }
  const type = raw.type as EventType;
  const upcasted = upcast(type, raw.version, raw.data);
  if (!upcasted.ok) return upcasted;
  const data = catalogue[type].schema.safeParse(upcasted.value);
  if (!data.success) {
    return fail('validation', `${raw.type}: ${data.error.issues[0]?.message ?? 'invalid data'}`, {
      field: `data.${data.error.issues[0]?.path.join('.') ?? ''}`,
    });
  }
  const metadata = EventMetadata.safeParse(raw.metadata);
  if (!metadata.success) {
    return fail('validation', `${raw.type}: invalid metadata`, {
      field: `metadata.${metadata.error.issues[0]?.path.join('.') ?? ''}`,
    });
  }
  return ok({ type: raw.type, data: data.data, metadata: metadata.data } as DomainEvent);
}

/**
 * Reads raw `{type, version, data, metadata}` from storage the way {@link parseEvent} does, minus
 * the schema check: the type must be in the catalogue and older versions are upcast (and checked),
 * but the current version's data and metadata are taken as stored. For rebuilding read models
 * from a log whose events were all checked when they were made (`makeEvent` parses with the
 * catalogue's schema), where checking again costs more than the rest of the fold; whoever trusts
 * it must fail soft on a malformed event.
 */
export function readTrustedEvent(raw: {
  type: string;
  version: number;
  data: unknown;
  metadata: unknown;
}): Result<DomainEvent> {
  if (!Object.hasOwn(catalogue, raw.type)) {
    return fail('validation', `unknown event type ${raw.type}`, { field: 'type' });
  }
  // An older version is upcast and checked in full: rare, and the upcast shape gets its defaults.
  if (raw.version !== catalogue[raw.type as EventType].version) return parseEvent(raw);
  if (typeof raw.metadata !== 'object' || raw.metadata === null) {
    return fail('validation', `${raw.type}: invalid metadata`, { field: 'metadata' });
  }
  return ok({ type: raw.type, data: raw.data, metadata: raw.metadata } as DomainEvent);
}

export const schemaVersionOf = (type: EventType): number => catalogue[type].version;
