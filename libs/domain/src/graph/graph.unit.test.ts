import { describe, expect, it } from 'vitest';
import { foldWith } from '../decider.js';
import type { DomainErrorCode } from '../errors.js';
import { makeEvent, type DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { edgeOf, type DependencySpecInput, type EdgeDefinition } from './edge.js';
import { graphDecider, incomingEdges, type GraphCommand } from './graph.js';
import type { DownstreamConfig } from './references.js';

const meta: EventMetadata = { tenantId: 't1', actor: { kind: 'user', id: 'key:k1' } };
const edge = (upstream: string, downstream: string, spec: Partial<DependencySpecInput> = {}) =>
  edgeOf(downstream, { upstream, ...spec });
const declared = (e: EdgeDefinition) => makeEvent('DependencyDeclared', e, meta);
const declare = (...edges: EdgeDefinition[]): GraphCommand => ({
  type: 'DeclareDependencies',
  tenantId: 't1',
  edges,
});
const removedData = (e: EdgeDefinition, reason = '') => ({
  edgeId: e.edgeId,
  upstreamEndpointId: e.upstreamEndpointId,
  downstreamEndpointId: e.downstreamEndpointId,
  reason,
});

/** Given past events of the graph stream, when a command, then these events or this refusal. */
function given(history: readonly DomainEvent[]) {
  return {
    when(command: GraphCommand) {
      const state = foldWith(graphDecider, history);
      const result = graphDecider.decide(command, state, { now: 0, metadata: meta });
      return {
        then(expected: readonly { type: string; data: object }[]) {
          if (!result.ok) throw new Error(`refused: ${result.error.message}`);
          expect(result.value.map(({ type, data }) => ({ type, data }))).toEqual(expected);
        },
        thenFails(
          code: DomainErrorCode,
          expected: { message?: RegExp; field?: string; details?: object } = {},
        ) {
          if (result.ok) throw new Error(`expected ${code}, got ${JSON.stringify(result.value)}`);
          expect(result.error.code).toBe(code);
          if (expected.message) expect(result.error.message).toMatch(expected.message);
          if (expected.field) expect(result.error.field).toBe(expected.field);
          if (expected.details) expect(result.error.details).toMatchObject(expected.details);
        },
      };
    },
  };
}

describe('DeclareDependencies', () => {
  it('declares new edges, each as a DependencyDeclared with the defaults applied', () => {
    const ab = edge('a', 'b');
    expect(ab).toMatchObject({
      edgeId: 'a.b',
      name: 'a',
      condition: 'ok',
      mode: 'trigger',
      freshness: { kind: 'since_last_run' },
    });
    given([])
      .when(declare(ab, edge('c', 'b')))
      .then([
        { type: 'DependencyDeclared', data: ab },
        { type: 'DependencyDeclared', data: edge('c', 'b') },
      ]);
  });

  it('is already satisfied by an identical edge, and replaces a changed one', () => {
    const ab = edge('a', 'b');
    given([declared(ab)])
      .when(declare(edge('a', 'b')))
      .then([]);
    const gate = edge('a', 'b', { mode: 'gate', condition: 'status == 200' });
    given([declared(ab)])
      .when(declare(gate))
      .then([{ type: 'DependencyDeclared', data: gate }]);
  });

  it('refuses an edge from an endpoint to itself', () => {
    given([])
      .when(declare(edge('b', 'c'), edge('a', 'a')))
      .thenFails('unprocessable', {
        message: /a cannot depend on itself/,
        field: 'edges.1.upstream',
        details: { cycle: ['a', 'a'] },
      });
  });

  it('refuses a condition that does not compile, with its position', () => {
    given([])
      .when(declare(edge('a', 'b', { condition: 'status == 200 &&' })))
      .thenFails('unprocessable', {
        field: 'edges.0.condition',
        details: { expression: 'status == 200 &&', position: expect.any(Number) as number },
      });
  });

  it('refuses a name another edge of the downstream holds', () => {
    given([declared(edge('a', 'c', { name: 'x' }))])
      .when(declare(edge('b', 'c', { name: 'x' })))
      .thenFails('unprocessable', {
        message: /c already has an edge named x \(from a\)/,
        field: 'edges.0.name',
      });
    // Another downstream may use the same name.
    given([declared(edge('a', 'c', { name: 'x' }))])
      .when(declare(edge('b', 'd', { name: 'x' })))
      .then([{ type: 'DependencyDeclared', data: edge('b', 'd', { name: 'x' }) }]);
  });

  it('accepts names swapped within one batch', () => {
    const history = [declared(edge('a', 'c', { name: 'x' })), declared(edge('b', 'c'))];
    const swapped = [edge('b', 'c', { name: 'x' }), edge('a', 'c', { name: 'y' })];
    given(history)
      .when(declare(...swapped))
      .then(swapped.map((data) => ({ type: 'DependencyDeclared', data })));
  });

  it('refuses the same pair twice in one batch', () => {
    given([])
      .when(declare(edge('a', 'b'), edge('a', 'b', { name: 'again' })))
      .thenFails('unprocessable', { field: 'edges.1.upstream' });
  });

  it('refuses an edge that closes a cycle, naming its path', () => {
    given([declared(edge('b', 'c')), declared(edge('c', 'a'))])
      .when(declare(edge('a', 'b')))
      .thenFails('unprocessable', {
        message: /a → b → c → a/,
        field: 'edges.0.upstream',
        details: { cycle: ['a', 'b', 'c', 'a'] },
      });
  });

  it('refuses a batch that forms a cycle among itself', () => {
    given([])
      .when(declare(edge('a', 'b'), edge('b', 'c'), edge('c', 'a')))
      .thenFails('unprocessable', {
        field: 'edges.2.upstream',
        details: { cycle: ['c', 'a', 'b', 'c'] },
      });
  });

  it('accepts an edge whose reverse was removed', () => {
    const ab = edge('a', 'b');
    const removed = makeEvent('DependencyRemoved', removedData(ab), meta);
    given([declared(ab), removed])
      .when(declare(edge('b', 'a')))
      .then([{ type: 'DependencyDeclared', data: edge('b', 'a') }]);
  });
});

describe('RemoveDependencies', () => {
  it('removes the edges, with the reason', () => {
    const ab = edge('a', 'b');
    given([declared(ab)])
      .when({ type: 'RemoveDependencies', edgeIds: ['a.b', 'a.b'], reason: 'done' })
      .then([{ type: 'DependencyRemoved', data: removedData(ab, 'done') }]);
  });

  it('refuses an unknown edge as not found', () => {
    given([declared(edge('a', 'b'))])
      .when({ type: 'RemoveDependencies', edgeIds: ['a.b', 'x.b'] })
      .thenFails('not_found', { message: /dependency x.b not found/, field: 'edgeIds.1' });
  });
});

describe('ReplaceDependencies', () => {
  const replace = (downstream: string, ...edges: EdgeDefinition[]): GraphCommand => ({
    type: 'ReplaceDependencies',
    tenantId: 't1',
    downstream,
    edges,
    reason: 'replaced',
  });

  it("removes the downstream's edges not listed, then declares the new and changed ones", () => {
    const history = [
      declared(edge('a', 'c')),
      declared(edge('b', 'c', { name: 'x' })),
      declared(edge('a', 'd')),
    ];
    given(history)
      .when(replace('c', edge('a', 'c'), edge('e', 'c', { name: 'x' })))
      .then([
        { type: 'DependencyRemoved', data: removedData(edge('b', 'c'), 'replaced') },
        { type: 'DependencyDeclared', data: edge('e', 'c', { name: 'x' }) },
      ]);
  });

  it('refuses a cycle; an empty set removes every incoming edge', () => {
    given([declared(edge('c', 'a')), declared(edge('a', 'b'))])
      .when(replace('a', edge('b', 'a')))
      .thenFails('unprocessable', { details: { cycle: ['b', 'a', 'b'] } });
    given([declared(edge('b', 'a')), declared(edge('c', 'b'))])
      .when(replace('b'))
      .then([{ type: 'DependencyRemoved', data: removedData(edge('c', 'b'), 'replaced') }]);
  });
});

describe('the graph state', () => {
  it("lists an endpoint's incoming edges by name", () => {
    const state = foldWith(graphDecider, [
      declared(edge('z', 'c')),
      declared(edge('a', 'c')),
      declared(edge('a', 'd')),
    ]);
    expect(incomingEdges(state, 'c').map((e) => e.edgeId)).toEqual(['a.c', 'z.c']);
    expect(state).toMatchObject({ tenantId: 't1', version: 3 });
  });
});

describe("the downstream's fan-in and templates (when its config is given)", () => {
  const config = (fanIn: string, url = 'https://x.example.com/load'): DownstreamConfig => ({
    fanIn: { combine: fanIn },
    request: {
      method: 'POST',
      url,
      headers: { 'x-batch': { value: '{{ upstream.load.body.id }}', secret: false } },
      body: '{"batch": "{{ upstream.extract.body.batch_id }}"}',
    },
  });
  const history = [
    declared(edge('a', 'c', { name: 'extract' })),
    declared(edge('b', 'c', { name: 'load' })),
  ];

  it('refuses removing an edge the fan-in names, with the position', () => {
    given(history)
      .when({
        type: 'RemoveDependencies',
        edgeIds: ['a.c'],
        downstreams: { c: config('extract && load') },
      })
      .thenFails('unprocessable', {
        message: /the fan-in of c/,
        field: 'config.fanIn.combine',
        details: { endpointId: 'c', expression: 'extract && load', position: 0 },
      });
  });

  it('refuses renaming an edge a template names', () => {
    given(history)
      .when({
        ...declare(edge('a', 'c', { name: 'extracted' })),
        downstreams: { c: config('any') },
      })
      .thenFails('unprocessable', { field: 'config.request.body', message: /extract/ });
  });

  it('counts only trigger edges in the fan-in, every edge in templates', () => {
    given(history)
      .when({
        ...declare(edge('b', 'c', { name: 'load', mode: 'gate' })),
        downstreams: { c: config('extract && load') },
      })
      .thenFails('unprocessable', { field: 'config.fanIn.combine' });
    given(history)
      .when({
        ...declare(edge('b', 'c', { name: 'load', mode: 'gate' })),
        downstreams: { c: config('extract') },
      })
      .then([{ type: 'DependencyDeclared', data: edge('b', 'c', { name: 'load', mode: 'gate' }) }]);
  });

  it('leaves alone a config that already names an edge it lacks: declaring may repair it', () => {
    const c = config('extract && load && transform');
    given(history)
      .when({ ...declare(edge('t', 'c', { name: 'transform' })), downstreams: { c } })
      .then([{ type: 'DependencyDeclared', data: edge('t', 'c', { name: 'transform' }) }]);
  });

  it('holds a replacing config to the edges it will have, even when no edge changes', () => {
    const replace = (combine: string): GraphCommand => ({
      type: 'ReplaceDependencies',
      tenantId: 't1',
      downstream: 'c',
      edges: [edge('a', 'c', { name: 'extract' }), edge('b', 'c', { name: 'load' })],
      config: config(combine),
    });
    given(history)
      .when(replace('extract || nope'))
      .thenFails('unprocessable', { field: 'config.fanIn.combine', message: /nope/ });
    given(history).when(replace('extract || load')).then([]);
  });
});
