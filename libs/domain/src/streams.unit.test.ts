import { describe, expect, it } from 'vitest';
import {
  endpointStream,
  isStreamOf,
  jobStream,
  parseEndpointStream,
  parseJobStream,
  parsePlannerStream,
  plannerStream,
} from './streams.js';

const parsers = { endpoint: parseEndpointStream, job: parseJobStream, planner: parsePlannerStream };

describe('stream ids', () => {
  it('parse back into the tenant and the entity, whatever dots the entity id holds', () => {
    expect(parseEndpointStream(endpointStream('t1', 'orders.sync'))).toEqual({
      tenantId: 't1',
      id: 'orders.sync',
    });
    expect(parseJobStream(jobStream('acme', 'nightly'))).toEqual({
      tenantId: 'acme',
      id: 'nightly',
    });
    expect(parsePlannerStream(plannerStream('acme', 'e1'))).toEqual({ tenantId: 'acme', id: 'e1' });
  });

  it('read no id that lacks a tenant, an entity or the kind exactly', () => {
    const malformed = [
      'endpoint-t1.',
      'endpoint-.e1',
      'endpoint-t1',
      'endpoint-',
      'endpoint',
      'endpointx-t1.e1',
      'endpoints-t1.e1',
      'tenant-t1',
      '',
    ];
    for (const id of malformed) expect([id, parseEndpointStream(id)]).toEqual([id, null]);
  });

  it('isStreamOf answers as the parsers do, for well-formed and malformed ids alike', () => {
    const ids = {
      endpoint: ['endpoint-t1.e1', 'endpoint-t1.a.b'],
      job: ['job-t1.nightly'],
      planner: ['planner-t1.e1'],
      none: [
        'endpoint-t1.',
        'endpoint-.e1',
        'endpoint-t1',
        'endpointx-t1.e1',
        'job-t1.',
        'planner-.e1',
        'tenant-t1',
        'graph-t1.dependencies',
        '',
      ],
    };
    for (const [of, list] of Object.entries(ids)) {
      for (const id of list) {
        for (const kind of ['endpoint', 'job', 'planner'] as const) {
          expect([kind, id, isStreamOf(kind, id)]).toEqual([kind, id, of === kind]);
          expect([kind, id, parsers[kind](id) !== null]).toEqual([kind, id, of === kind]);
        }
      }
    }
  });
});
