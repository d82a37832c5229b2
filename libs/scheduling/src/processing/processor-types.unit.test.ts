import {
  endpointStream,
  eventTypes,
  graphStream,
  jobStream,
  tenantStream,
  type RecordedEvent,
} from '@orrery/domain';
import { InMemoryEventStore } from '@orrery/event-store';
import { describe, expect, it } from 'vitest';
import type { SchedulingDb } from '../db.js';
import { CascadeProcessor } from './cascade.js';
import { HintExpiryProcessor } from './hint-expiry.js';
import type { Processor } from './processor.js';

/**
 * A processor that names its types is read only those: an event it wants of any other type would
 * never reach it. So every event its `wants` accepts, whatever the stream, must be of its types.
 */
function wantedTypes(processor: Processor): string[] {
  const streams = [
    endpointStream('t1', 'e1'),
    jobStream('t1', 'j1'),
    graphStream('t1'),
    tenantStream('t1'),
  ];
  const wanted = new Set<string>();
  for (const type of eventTypes) {
    for (const streamId of streams) {
      const event = { type, streamId, data: { test: false } } as unknown as RecordedEvent;
      if (processor.wants?.(event)) wanted.add(type);
    }
  }
  return [...wanted].sort();
}

const deps = { db: {} as SchedulingDb, store: new InMemoryEventStore() };

describe('the types a processor reads', () => {
  it.each([
    ['hint expiry', new HintExpiryProcessor(deps)],
    ['cascades', new CascadeProcessor(deps)],
  ])('%s: cover every event it wants, and name no type it never wants', (_, processor) => {
    expect(processor.types).toBeDefined();
    expect([...(processor.types ?? [])].sort()).toEqual(wantedTypes(processor));
  });
});
