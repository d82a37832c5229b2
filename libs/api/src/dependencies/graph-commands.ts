import { handleCommand } from '@orrery/event-store';
import {
  ConcurrencyError,
  downstreamAppends,
  foldWith,
  graphDecider,
  graphStream,
  type AppendOutcome,
  type AppendRequest,
  type DomainEvent,
  type DownstreamConfig,
  type EdgeDefinition,
  type EventMetadata,
  type EventStore,
  type GraphCommand,
  type GraphState,
} from '@orrery/domain';
import type { ApiDeps } from '../deps.js';
import { fromDomainError } from '../problem.js';
import { checkEnds, storedConfigs } from './graph-ends.js';

export type GraphDeps = Pick<ApiDeps, 'store' | 'db' | 'pool' | 'now'>;

/** What a graph command did: the events appended (none when already so) and the graph after. */
export interface GraphChange {
  readonly events: readonly DomainEvent[];
  readonly state: GraphState;
}

/** How a refusal's field (`edges.0.condition`, `edgeIds.0`, `config.fanIn.combine`) reads in the request. */
export type FieldOf = (path: string) => string;

export interface GraphCommandOptions {
  readonly fieldOf?: FieldOf;
  /** Why edges are removed (recorded on DependencyRemoved). */
  readonly reason?: string;
  /** Another append that must land in the same transaction as the graph's (see {@link Companion}). */
  readonly companion?: Companion;
}

/**
 * An append made atomically with a graph decision, after the graph's events and before the
 * downstreams' — an endpoint's registration with the edges its create declares, so it never
 * exists without them (a gated endpoint starting at once would run ungated). `outcome` is set
 * when the graph decision appended: the companion's result, or the ConcurrencyError of its own
 * stream (then the graph command throws {@link CompanionMoved} and nothing is appended). A
 * decision that appends nothing leaves `outcome` unset: the companion was not appended.
 */
export interface Companion {
  readonly request: AppendRequest;
  outcome?: AppendOutcome;
}

/** The companion's own stream had moved: its caller decides again (see {@link Companion}). */
export class CompanionMoved extends Error {
  constructor(readonly conflict: ConcurrencyError) {
    super(conflict.message, { cause: conflict });
    this.name = 'CompanionMoved';
  }
}

/**
 * Appends a graph decision atomically: the events on the graph stream at the version decided
 * on, and the same events on each downstream's stream (whose gate and fan-in decisions take
 * them as inputs). A ConcurrencyError of the graph stream is returned, so the command handler
 * reads the graph again and decides again.
 */
async function appendWithDownstreams(
  store: EventStore,
  tenantId: string,
  request: AppendRequest,
  companion: Companion | undefined,
): Promise<AppendOutcome> {
  const downstreams = downstreamAppends(tenantId, request.events);
  try {
    const [result, ...rest] = await store.appendMany([
      request,
      ...(companion ? [companion.request] : []),
      ...downstreams,
    ]);
    if (!result) throw new Error('appendMany returned no result for the graph stream');
    if (companion) companion.outcome = rest[0];
    return result;
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    if (companion && error.streamId === companion.request.streamId) {
      companion.outcome = error;
      throw new CompanionMoved(error);
    }
    return error;
  }
}

/**
 * Runs a graph command through the one command handler: read the tenant's graph stream (all of
 * it: a graph holds a few hundred edges at most), decide, append atomically with the
 * downstreams' streams; on a concurrent change of the graph, read and decide again (5 times).
 */
export async function runGraphCommand(
  deps: GraphDeps,
  tenantId: string,
  command: GraphCommand,
  metadata: EventMetadata,
  fieldOf?: FieldOf,
  companion?: Companion,
): Promise<GraphChange> {
  const result = await handleCommand(deps.store, graphDecider, graphStream(tenantId), command, {
    now: deps.now,
    metadata,
    append: (request) => appendWithDownstreams(deps.store, tenantId, request, companion),
  });
  if (!result.ok) throw fromDomainError(result.error, fieldOf);
  return { events: result.events, state: result.state };
}

/**
 * Declares edges of the tenant's graph (new ones, or changed definitions of existing ones; an
 * identical edge is left as it is). Both ends must be active endpoints of the tenant (404). A
 * refused edge — a cycle, a condition that does not compile, a name taken, a rename that
 * breaks the downstream's fan-in or templates — answers 422.
 *
 * @example await declareDependencies(deps, 't1', [edgeOf('load', { upstream: 'extract' })], actor(request))
 */
export async function declareDependencies(
  deps: GraphDeps,
  tenantId: string,
  edges: readonly EdgeDefinition[],
  metadata: EventMetadata,
  options: GraphCommandOptions = {},
): Promise<GraphChange> {
  const downstreams = await checkEnds(deps, tenantId, edges);
  const command: GraphCommand = { type: 'DeclareDependencies', tenantId, edges, downstreams };
  return runGraphCommand(deps, tenantId, command, metadata, options.fieldOf);
}

/**
 * Removes edges of the tenant's graph (404 for an id it does not hold), unless a downstream's
 * fan-in or templates still name one (422).
 */
export async function removeDependencies(
  deps: GraphDeps,
  tenantId: string,
  edgeIds: readonly string[],
  metadata: EventMetadata,
  options: GraphCommandOptions = {},
): Promise<GraphChange> {
  const ends = edgeIds.map((edgeId) => edgeId.slice(edgeId.indexOf('.') + 1));
  const command: GraphCommand = {
    type: 'RemoveDependencies',
    edgeIds,
    downstreams: await storedConfigs(deps, tenantId, ends),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  };
  return runGraphCommand(deps, tenantId, command, metadata, options.fieldOf);
}

/** The command that makes `edges` the incoming edges of `downstream`, whose config is `config`. */
const replacing = (
  tenantId: string,
  downstream: string,
  edges: readonly EdgeDefinition[],
  config: DownstreamConfig,
  reason: string | undefined,
): GraphCommand => ({
  type: 'ReplaceDependencies',
  tenantId,
  downstream,
  edges,
  config,
  ...(reason === undefined ? {} : { reason }),
});

/**
 * Makes `edges` the whole set of `downstream`'s incoming edges — declares the new and changed
 * ones, removes the others — in one decision and one atomic append. `config` is the
 * downstream's config as it is once the caller is done: its fan-in and templates must name only
 * these edges (422). The upstreams must be active endpoints of the tenant (404); the downstream
 * is the caller's to check.
 */
export async function replaceDependencies(
  deps: GraphDeps,
  tenantId: string,
  downstream: string,
  edges: readonly EdgeDefinition[],
  config: DownstreamConfig,
  metadata: EventMetadata,
  options: GraphCommandOptions = {},
): Promise<GraphChange> {
  await checkEnds(deps, tenantId, edges, downstream);
  const command = replacing(tenantId, downstream, edges, config, options.reason);
  return runGraphCommand(deps, tenantId, command, metadata, options.fieldOf, options.companion);
}

/**
 * Checks, without appending anything, what {@link replaceDependencies} would answer now: for
 * edges of an endpoint about to be registered, so that a refused edge registers nothing. A
 * concurrent change may still refuse them afterwards.
 */
export async function checkReplaceDependencies(
  deps: GraphDeps,
  tenantId: string,
  downstream: string,
  edges: readonly EdgeDefinition[],
  config: DownstreamConfig,
  metadata: EventMetadata,
  fieldOf?: FieldOf,
): Promise<void> {
  await checkEnds(deps, tenantId, edges, downstream);
  const state = await readGraph(deps.store, tenantId);
  const command = replacing(tenantId, downstream, edges, config, undefined);
  const decided = graphDecider.decide(command, state, { now: deps.now(), metadata });
  if (!decided.ok) throw fromDomainError(decided.error, fieldOf);
}

/** The tenant's graph: its whole stream, folded (small: edges only, no responses). */
export async function readGraph(store: EventStore, tenantId: string): Promise<GraphState> {
  const events = await store.readStream(graphStream(tenantId));
  return foldWith(graphDecider, events);
}
