import { z } from 'zod';
import { EndpointConfig } from '../endpoint/config.js';
import { DependencySpec } from '../graph/edge.js';
import { fail, ok, type Result } from '../errors.js';

/** A job, endpoint or pipeline id: what the API accepts as a client-chosen id. */
const Id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and -, at most 64');

/** Most endpoints one document may declare (all its jobs together). */
export const MAX_PIPELINE_ENDPOINTS = 20_000;
/** Most jobs one document may declare. */
export const MAX_PIPELINE_JOBS = 5_000;
/** Most incoming edges one endpoint of a document may declare. */
export const MAX_DEPENDS_ON = 100;

/** A pipeline's name: unique per tenant, it names the pipeline's stream. */
export const PipelineName = Id;

/**
 * An endpoint of a pipeline document: its config as the endpoint create API takes it (with a
 * required `id`), and `dependsOn`, its incoming edges. An upstream is an endpoint of any job of
 * the document, or one already registered in the tenant.
 */
export const PipelineEndpoint = EndpointConfig.safeExtend({
  id: Id,
  dependsOn: z.array(DependencySpec).max(MAX_DEPENDS_ON).default([]),
});
export type PipelineEndpoint = z.output<typeof PipelineEndpoint>;

/**
 * A job of a pipeline document and its endpoints. Without `name` or `description` a new job is
 * named by its id (with an empty description) and a job that exists keeps its own.
 */
export const PipelineJob = z.strictObject({
  id: Id,
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
  endpoints: z.array(PipelineEndpoint).max(MAX_PIPELINE_ENDPOINTS).default([]),
});
export type PipelineJob = z.output<typeof PipelineJob>;

/**
 * A whole pipeline, declared: jobs, their endpoints and the edges between them. Applying it makes
 * the tenant hold exactly this (see `planPipeline`). `name` is optional where the name comes
 * from elsewhere (the URL of `PUT /v1/pipelines/{name}`); when both are given they must agree.
 */
export const PipelineDocument = z.strictObject({
  name: PipelineName.optional(),
  description: z.string().max(2000).default(''),
  jobs: z.array(PipelineJob).max(MAX_PIPELINE_JOBS),
});
export type PipelineDocument = z.output<typeof PipelineDocument>;
export type PipelineDocumentInput = z.input<typeof PipelineDocument>;

/** One thing wrong with a document, at its path in the document (`jobs.0.endpoints.3.id`). */
export interface DocumentIssue {
  readonly field: string;
  readonly message: string;
}

/** A refusal listing every issue found (the first is `field`, all are in `details.errors`). */
export function refusal(
  code: 'validation' | 'conflict' | 'unprocessable',
  issues: readonly DocumentIssue[],
  details: Record<string, unknown> = {},
): Result<never> {
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return fail(code, `${first ? `${first.field}: ${first.message}` : 'invalid'}${more}`, {
    ...(first ? { field: first.field } : {}),
    details: { ...details, errors: issues },
  });
}

/** Where each endpoint of a document sits: its job and path (`jobs.1.endpoints.4`). */
export interface EndpointPlace {
  readonly endpoint: PipelineEndpoint;
  readonly jobId: string;
  readonly path: string;
}

/** The document's endpoints in document order, each with its job and path. */
export const placesOf = (document: PipelineDocument): EndpointPlace[] =>
  document.jobs.flatMap((job, j) =>
    job.endpoints.map((endpoint, e) => ({
      endpoint,
      jobId: job.id,
      path: `jobs.${j}.endpoints.${e}`,
    })),
  );

/** The issues of a document that its schema cannot see: ids declared twice, too many endpoints. */
function structuralIssues(document: PipelineDocument): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
  const jobs = new Map<string, number>();
  document.jobs.forEach((job, j) => {
    const first = jobs.get(job.id);
    if (first === undefined) jobs.set(job.id, j);
    else issues.push({ field: `jobs.${j}.id`, message: `job ${job.id} is declared twice` });
  });
  const places = placesOf(document);
  if (places.length > MAX_PIPELINE_ENDPOINTS) {
    issues.push({
      field: 'jobs',
      message: `at most ${MAX_PIPELINE_ENDPOINTS} endpoints in one document (got ${places.length})`,
    });
  }
  const endpoints = new Map<string, string>();
  for (const { endpoint, path } of places) {
    const first = endpoints.get(endpoint.id);
    if (first === undefined) endpoints.set(endpoint.id, path);
    else {
      issues.push({
        field: `${path}.id`,
        message: `endpoint ${endpoint.id} is declared twice (also at ${first})`,
      });
    }
  }
  return issues;
}

/**
 * Parses a pipeline document (a JSON value: JSON or YAML text already parsed), reporting every
 * issue at its path in the document: `jobs.0.endpoints.3.baseline.everyMs`. Schema issues come
 * first; ids declared twice are checked once the schema holds.
 *
 * @example
 * const parsed = parsePipelineDocument(YAML.parse(text));
 * if (!parsed.ok) console.error(parsed.error.details?.errors);
 */
export function parsePipelineDocument(input: unknown): Result<PipelineDocument> {
  const parsed = PipelineDocument.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      // A bad record key reports "Invalid key in record"; the key's own rule says why.
      const inner = 'issues' in issue ? issue.issues[0]?.message : undefined;
      return { field: issue.path.join('.') || '(document)', message: inner ?? issue.message };
    });
    return refusal('validation', issues);
  }
  const issues = structuralIssues(parsed.data);
  return issues.length > 0 ? refusal('validation', issues) : ok(parsed.data);
}
