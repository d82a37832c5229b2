import { parseEvent, placeEvent, type RecordedEvent } from '@orrery/domain';

/** An event as the store keeps it: catalogue type and version, raw JSON data and metadata. */
export interface StoredEvent {
  readonly position: number;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly typeVersion: number;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly recordedAt: Date;
}

/**
 * A stored event that the catalogue cannot read (unknown type, unknown
 * version, invalid data or metadata). Writers only store valid events, so this
 * is a broken invariant, never skipped silently: a read fails with it, naming
 * where the event sits, and a processor parks its stream and reads on.
 */
export class UnreadableEventError extends Error {
  override readonly name = 'UnreadableEventError';
  constructor(
    readonly position: number,
    readonly type: string,
    readonly reason: string,
    /** Where it sits, so a reader can set its stream aside and go on. */
    readonly streamId = '',
    readonly streamVersion = 0,
  ) {
    super(`event at position ${position} (${type}, ${streamId}) is unreadable: ${reason}`);
  }
}

/** Validates a stored event against the catalogue and gives it its place in the log. */
export function decodeEvent(row: StoredEvent): RecordedEvent {
  if (!Number.isSafeInteger(row.position)) {
    throw new UnreadableEventError(
      Number(row.position),
      row.type,
      'position is not a safe integer',
      row.streamId,
      row.streamVersion,
    );
  }
  const parsed = parseEvent({
    type: row.type,
    version: row.typeVersion,
    data: row.data,
    metadata: row.metadata,
  });
  if (!parsed.ok) {
    throw new UnreadableEventError(
      row.position,
      row.type,
      parsed.error.message,
      row.streamId,
      row.streamVersion,
    );
  }
  return placeEvent(parsed.value, {
    position: row.position,
    streamId: row.streamId,
    streamVersion: row.streamVersion,
    recordedAt: row.recordedAt.toISOString(),
  });
}
