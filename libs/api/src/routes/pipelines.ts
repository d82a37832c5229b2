import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';
import { applyPipeline } from '../pipelines/apply.js';
import { parsePipelineText, YAML_MEDIA_TYPES } from '../pipelines/document-text.js';
import { problemAnswer, problemResponses } from '../schemas/common.js';
import {
  PipelineApplyQuery,
  PipelineApplySchema,
  PipelineDocumentSchema,
  PipelineParams,
} from '../schemas/pipelines.js';
import { actor } from './actor.js';

/** Largest pipeline document, in bytes: 10 000 endpoints take about 3 MiB of JSON. */
export const PIPELINE_BODY_LIMIT = 32 * 1024 * 1024;

const description = `Makes the tenant hold exactly what the document declares — its jobs, their
endpoints (each as \`POST /v1/jobs/{jobId}/endpoints\` takes it, with a required \`id\`) and the
edges of each endpoint's \`dependsOn\` (an upstream is an endpoint of the document or one already
registered in the tenant) — and archives the jobs and endpoints, and removes the edges, that an
earlier apply of this pipeline created and this document drops. The body is JSON
(\`application/json\`) or YAML (\`application/yaml\`), at most 32 MiB.

The document is checked as a whole before anything happens, and every issue is listed in
\`errors\` at its path in the document (\`jobs.0.endpoints.3.baseline.everyMs\`): 400 when it
breaks its schema (or names an id twice), 409 when it clashes with what is live (an endpoint of
another job, an archived endpoint or job), 422 when an upstream does not resolve, an expression
(condition, fan-in, template) does not compile, or an edge would close a cycle with the live
graph and the document (the cycle's path is in \`detail\`).

The apply is all or nothing: every change is decided in memory and appended in one atomic append
at the versions read. When another writer changes one of those streams meanwhile, the apply is
read and decided again (a few times, then 409). Applying the same document again appends nothing
(\`changed: false\`). With \`?dryRun=true\` the answer is the diff against what is live, and
nothing is appended.`;

/** Pipelines: apply a whole declared document of jobs, endpoints and edges at once. */
export const pipelineRoutes: FastifyPluginAsyncZod = async (app) => {
  const { deps } = app;
  // YAML bodies, for this plugin's routes only (plugins are encapsulated).
  app.addContentTypeParser(
    YAML_MEDIA_TYPES,
    { parseAs: 'string', bodyLimit: PIPELINE_BODY_LIMIT },
    (_request, body, done) => {
      try {
        done(null, parsePipelineText(body.toString(), 'yaml'));
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)), undefined);
      }
    },
  );

  // The domain checks the body (parsePipelineDocument), naming every issue by its path in the
  // document whether it came as JSON or YAML; the body schema documents it. Params and query
  // strings are validated as everywhere else.
  app.setValidatorCompiler<ZodType>((route) =>
    route.httpPart === 'body' ? (data: unknown) => ({ value: data }) : validatorCompiler(route),
  );

  app.put(
    '/pipelines/:name',
    {
      bodyLimit: PIPELINE_BODY_LIMIT,
      schema: {
        tags: ['pipelines'],
        operationId: 'applyPipeline',
        summary: 'Apply a pipeline: jobs, endpoints and edges as one declared document',
        description,
        params: PipelineParams,
        querystring: PipelineApplyQuery,
        body: PipelineDocumentSchema,
        consumes: ['application/json', 'application/yaml'],
        response: {
          200: PipelineApplySchema,
          ...problemResponses,
          409: problemAnswer(
            'The document clashes with what is live (an endpoint of another job, an archived ' +
              'endpoint or job), or its streams kept changing under concurrent writers',
          ),
          422: problemAnswer(
            'An upstream does not resolve, an expression does not compile, or an edge would ' +
              'close a cycle (its path is in `detail`)',
          ),
        },
      },
    },
    async (request) =>
      applyPipeline(deps, {
        tenantId: request.tenantId,
        name: request.params.name,
        // Checked by applyPipeline (see setValidatorCompiler above).
        document: request.body,
        dryRun: request.query.dryRun === 'true',
        metadata: actor(request),
      }),
  );
};
