import { createHash } from 'node:crypto';
import {
  ConcurrencyError,
  diffCounts,
  endpointDecider,
  parsePipelineDocument,
  placesOf,
  planPipeline,
  type DomainError,
  type EndpointConfigInput,
  type EventMetadata,
  type LiveState,
  type PipelineDiff,
  type PipelineDocument,
} from '@orrery/domain';
import { REDACTED, type SecretBox } from '@orrery/secrets';
import type { ApiDeps } from '../deps.js';
import { fromDomainError, ProblemError } from '../problem.js';
import { sealForCreate } from '../routes/endpoint-config.js';
import { readLive } from './read-live.js';

export type ApplyDeps = Pick<ApiDeps, 'store' | 'db' | 'events' | 'secrets' | 'now'>;

export interface ApplyPipelineRequest {
  readonly tenantId: string;
  readonly name: string;
  /** The document as JSON or YAML gives it; checked here, every issue at its path in it. */
  readonly document: unknown;
  /** Decide and answer the diff, append nothing. */
  readonly dryRun: boolean;
  readonly metadata: EventMetadata;
  /** Read-decide-append rounds before concurrent changes are answered 409. Default 5. */
  readonly attempts?: number;
}

/** What an apply did (or, in a dry run, would do). */
export interface ApplyPipelineResult {
  readonly pipeline: string;
  /** `sha256:<hex>` of the document as parsed, secret values left out. */
  readonly digest: string;
  readonly dryRun: boolean;
  /** The document differs from what is live (events were, or would be, appended). */
  readonly changed: boolean;
  /** Events were appended by this request. */
  readonly applied: boolean;
  /** How many events were (or would be) appended, over every stream. */
  readonly events: number;
  /** Log positions of the first and last event appended (null: none). */
  readonly positions: { readonly first: number; readonly last: number } | null;
  /** Read-decide-append rounds it took (more than 1: a concurrent change was re-decided). */
  readonly attempts: number;
  /** One line for people: what was done. */
  readonly summary: string;
  readonly diff: PipelineDiff;
}

/** A refusal of the planner as the problem it answers, every issue in `errors`. */
function refusalProblem(error: DomainError): ProblemError {
  const problem = fromDomainError(error);
  const issues = error.details?.['errors'];
  return new ProblemError(
    problem.code,
    problem.message,
    Array.isArray(issues) ? issues : problem.errors,
  );
}

/** The document's digest: its parsed form, with secret header values left out. */
function digestOf(document: PipelineDocument, name: string): string {
  // Copies only the endpoints that hold a secret, so the rest is stringified natively (fast).
  const redacted = {
    ...document,
    name,
    jobs: document.jobs.map((job) => ({
      ...job,
      endpoints: job.endpoints.map((endpoint) => {
        const headers = Object.entries(endpoint.request.headers);
        if (!headers.some(([, header]) => header.secret)) return endpoint;
        const shown = headers.map(([key, header]) => [
          key,
          header.secret ? { ...header, value: REDACTED } : header,
        ]);
        return {
          ...endpoint,
          request: { ...endpoint.request, headers: Object.fromEntries(shown) },
        };
      }),
    })),
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(redacted)).digest('hex')}`;
}

/**
 * Each endpoint's config as it goes into the log: secret header values sealed as the endpoint
 * create route seals them (a secret equal to the stored one keeps its stored sealed value). A
 * header the sealing refuses is an issue at its path in the document.
 */
function sealedConfigs(
  box: SecretBox,
  document: PipelineDocument,
  live: LiveState,
): Map<string, EndpointConfigInput> {
  const configs = new Map<string, EndpointConfigInput>();
  const issues: { field: string; message: string }[] = [];
  for (const { endpoint, path } of placesOf(document)) {
    const { id, dependsOn: _edges, ...config } = endpoint;
    const existing = live.endpoints.get(id) ?? endpointDecider.initialState();
    try {
      const headers = sealForCreate(box, config.request.headers, existing);
      configs.set(id, { ...config, request: { ...config.request, headers } });
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      for (const issue of error.errors ?? []) {
        issues.push({ field: issue.field.replace(/^body/, path), message: issue.message });
      }
    }
  }
  if (issues.length > 0) {
    throw new ProblemError('validation', `${issues[0]?.field}: ${issues[0]?.message}`, issues);
  }
  return configs;
}

/** One line for people: `applied jobs +1 ~0 -0, endpoints +3 ~1 -1, edges +2 ~0 -1 (12 events)`. */
function summaryOf(plan: { events: number; diff: PipelineDiff }, dryRun: boolean): string {
  if (plan.events === 0) return 'nothing to apply: the tenant already holds this document';
  const counts = Object.entries(plan.diff).map(([kind, section]) => {
    const { create, change, archive } = diffCounts(section);
    return `${kind} +${create} ~${change} -${archive}`;
  });
  const verb = dryRun ? 'dry run, nothing appended: would apply' : 'applied';
  return `${verb} ${counts.join(', ')} (${plan.events} events)`;
}

/**
 * Applies a pipeline document as a whole: checks it, reads what is live in bulk, decides every
 * change in memory, and appends all of it in ONE atomic `appendMany` at the versions read (the
 * jobs', endpoints', graph's and pipeline's streams). When another writer changed one of those
 * streams meanwhile, it reads again and decides again (up to `attempts` times), then answers 409;
 * nothing is ever half applied. The same document applied twice appends nothing the second time.
 *
 * @throws ProblemError — 400 for a document that breaks its schema, 409 for a clash with what is
 *   live (an endpoint of another job, an archived one) or lasting concurrent changes, 422 for a
 *   reference that does not resolve, an expression that does not compile, or a cycle.
 */
export async function applyPipeline(
  deps: ApplyDeps,
  request: ApplyPipelineRequest,
): Promise<ApplyPipelineResult> {
  const { tenantId, name, dryRun, metadata } = request;
  const parsed = parsePipelineDocument(request.document);
  if (!parsed.ok) throw refusalProblem(parsed.error);
  const document = parsed.value;
  if (document.name !== undefined && document.name !== name) {
    const message = `the document is named ${document.name}, not ${name}`;
    throw new ProblemError('validation', `name: ${message}`, [{ field: 'name', message }]);
  }
  const digest = digestOf(document, name);
  const attempts = request.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const live = await readLive(deps, tenantId, name, document);
    const configs = sealedConfigs(deps.secrets, document, live);
    const input = { tenantId, name, document, configs, digest, live };
    const planned = planPipeline(input, { now: deps.now(), metadata });
    if (!planned.ok) throw refusalProblem(planned.error);
    const plan = planned.value;
    const answer = (positions: ApplyPipelineResult['positions']): ApplyPipelineResult => ({
      pipeline: name,
      digest,
      dryRun,
      changed: plan.events > 0,
      applied: positions !== null,
      events: plan.events,
      positions,
      attempts: attempt,
      summary: summaryOf(plan, dryRun),
      diff: plan.diff,
    });
    if (dryRun || plan.events === 0) return answer(null);
    try {
      const results = await deps.store.appendMany(plan.appends);
      // Requests are appended in order, so their positions ascend from the first to the last.
      const positions = results.flatMap((result) => result.positions);
      const [first = 0] = positions;
      return answer({ first, last: positions.at(-1) ?? first });
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      if (attempt >= attempts) {
        const message = `${error.message}; read and decided ${attempt} times, nothing was applied`;
        throw new ProblemError('conflict', `streams of the pipeline kept changing: ${message}`);
      }
    }
  }
}
