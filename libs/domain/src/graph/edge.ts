import { z } from 'zod';
import { MAX_DURATION_MS } from '../limits.js';

/** An endpoint id as the API accepts it (also the upstream of an edge). */
const EndpointId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);

/**
 * An edge's name: how the downstream's fan-in expression and templates refer to it
 * (`upstream.extract.body.batch_id`, `(a || b) && c`). A CEL identifier, unique among the
 * downstream's edges. Defaults to the upstream's id with `-` turned into `_`.
 */
export const EdgeName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a name is a letter or _, then letters, digits or _');

/**
 * Which upstream responses count: those at most `ms` old, or (`since_last_run`) those recorded
 * after the downstream's previous run started — "once per tick, after every upstream updated".
 */
export const Freshness = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('duration'),
    ms: z.number().int().positive().max(MAX_DURATION_MS),
  }),
  z.strictObject({ kind: z.literal('since_last_run') }),
]);
export type Freshness = z.infer<typeof Freshness>;

/**
 * The circuit breaker of an edge: after `afterFailures` consecutive failed upstream runs the
 * downstream is held (reason `upstream_failing`) until the upstream succeeds again.
 */
export const OnUpstreamFailure = z.strictObject({
  afterFailures: z.number().int().min(1).max(1000),
});

/**
 * An edge as a user declares it, on the downstream (in its create/update body or through
 * `/v1/dependencies`). Defaults: condition `ok` (a 2xx answer), mode `trigger`, freshness
 * `since_last_run`, no breaker.
 */
export const DependencySpec = z.strictObject({
  upstream: EndpointId,
  name: EdgeName.optional(),
  /** CEL over the upstream's response: `status`, `ok`, `body`, `headers`, `durationMs`. */
  condition: z.string().min(1).max(2000).default('ok'),
  mode: z.enum(['trigger', 'gate']).default('trigger'),
  freshness: Freshness.default({ kind: 'since_last_run' }),
  onUpstreamFailure: OnUpstreamFailure.optional(),
});
export type DependencySpec = z.output<typeof DependencySpec>;
export type DependencySpecInput = z.input<typeof DependencySpec>;

/** A declared edge: the spec with its identity. One edge per (upstream, downstream) pair. */
export const EdgeDefinition = z.strictObject({
  edgeId: z.string().min(1),
  name: EdgeName,
  upstreamEndpointId: EndpointId,
  downstreamEndpointId: EndpointId,
  condition: z.string().min(1).max(2000),
  mode: z.enum(['trigger', 'gate']),
  freshness: Freshness,
  onUpstreamFailure: OnUpstreamFailure.optional(),
});
export type EdgeDefinition = z.infer<typeof EdgeDefinition>;

/** The id of the edge from `upstream` to `downstream` (within one tenant): `<upstream>.<downstream>`, URL-safe (ids hold no dot). */
export const edgeIdOf = (upstream: string, downstream: string): string =>
  `${upstream}.${downstream}`;

/** The default name of an edge from `upstream`: its id as a CEL identifier. */
export const defaultEdgeName = (upstream: string): string => {
  const name = upstream.replace(/-/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
};

/** The definition a spec declares on `downstream`. */
export const edgeOf = (downstream: string, spec: DependencySpecInput): EdgeDefinition => {
  const parsed = DependencySpec.parse(spec);
  return {
    edgeId: edgeIdOf(parsed.upstream, downstream),
    name: parsed.name ?? defaultEdgeName(parsed.upstream),
    upstreamEndpointId: parsed.upstream,
    downstreamEndpointId: downstream,
    condition: parsed.condition,
    mode: parsed.mode,
    freshness: parsed.freshness,
    ...(parsed.onUpstreamFailure ? { onUpstreamFailure: parsed.onUpstreamFailure } : {}),
  };
};

/**
 * How a downstream combines its trigger edges (on its endpoint config): `all` (default), `any`,
 * or a CEL boolean expression over the edges' names (`(a || b) && c`); with `correlation` (CEL
 * over each upstream response, e.g. `body.batch_id`), the fan-in is decided per correlation
 * value and fires at most once per value.
 */
export const FanIn = z.strictObject({
  combine: z.string().min(1).max(2000).default('all'),
  correlation: z.string().min(1).max(2000).optional(),
});
export type FanIn = z.infer<typeof FanIn>;
