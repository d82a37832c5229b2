import { PipelineDocument } from '@orrery/domain';
import { z } from 'zod';
import { Id, requestBody, responseBody } from './common.js';

export const PipelineParams = z.strictObject({
  name: Id.describe('The pipeline: its name, unique in the tenant'),
});

export const PipelineApplyQuery = z.strictObject({
  dryRun: z
    .enum(['true', 'false'])
    .optional()
    .describe('`true`: answer the diff against what is live and append nothing'),
});

const example = {
  name: 'nightly-sales',
  description: 'Extracts the day of sales, loads it, then refreshes the dashboards',
  jobs: [
    {
      id: 'sales-etl',
      name: 'Sales ETL',
      endpoints: [
        {
          id: 'extract',
          name: 'Extract the day of sales',
          request: {
            method: 'POST' as const,
            url: 'https://etl.example.com/extract',
            headers: { authorization: { value: 'Bearer YOUR_ETL_TOKEN', secret: true } },
          },
          baseline: { kind: 'cron' as const, expression: '0 2 * * *', timezone: 'Europe/Berlin' },
        },
        {
          id: 'load',
          name: 'Load the extract',
          request: {
            method: 'POST' as const,
            url: 'https://etl.example.com/load',
            body: '{"batch": "{{ upstream.extract.body.batch_id }}"}',
          },
          baseline: { kind: 'none' as const },
          dependsOn: [{ upstream: 'extract', condition: 'ok && body.rows > 0' }],
        },
      ],
    },
    {
      id: 'dashboards',
      endpoints: [
        {
          id: 'refresh',
          name: 'Refresh the dashboards',
          request: { method: 'POST' as const, url: 'https://bi.example.com/refresh' },
          baseline: { kind: 'interval' as const, everyMs: 86_400_000 },
          dependsOn: [{ upstream: 'load', mode: 'trigger' as const }],
        },
      ],
    },
  ],
};

/**
 * The document `PUT /v1/pipelines/{name}` takes, as JSON or YAML. Documented here; the route
 * checks it itself, so that every issue is named by its path in the document whichever format
 * it came in (`jobs.0.endpoints.3.baseline.everyMs`).
 */
export const PipelineDocumentSchema = requestBody(PipelineDocument, 'PipelineDocument', [example]);

const FieldChangeSchema = z.object({
  id: z.string(),
  fields: z.array(z.string()).describe('Dotted paths of the fields that change'),
});

const common = {
  create: z.array(z.string()),
  change: z.array(FieldChangeSchema),
  unchanged: z.number().int().describe('How many the document declares as they already are'),
};

const DiffSectionSchema = z.object({
  ...common,
  archive: z.array(z.string()).describe('What the pipeline created and the document drops'),
});
const EdgeDiffSectionSchema = z.object({
  ...common,
  remove: z
    .array(z.string())
    .describe('Edges (`<upstream>.<downstream>`) the pipeline created and the document drops'),
});

export const PipelineApplySchema = responseBody(
  z.object({
    pipeline: z.string(),
    digest: z.string().describe('`sha256:<hex>` of the document as parsed, secrets left out'),
    dryRun: z.boolean(),
    changed: z.boolean().describe('The document differs from what is live'),
    applied: z.boolean().describe('Events were appended by this request'),
    events: z.number().int().describe('Events appended, or that a dry run would append'),
    positions: z
      .object({ first: z.number().int(), last: z.number().int() })
      .nullable()
      .describe('Log positions of the events appended'),
    attempts: z
      .number()
      .int()
      .describe('Read-decide-append rounds: more than 1 when a concurrent change was re-decided'),
    summary: z.string(),
    diff: z.object({
      jobs: DiffSectionSchema,
      endpoints: DiffSectionSchema,
      edges: EdgeDiffSectionSchema,
    }),
  }),
  'PipelineApply',
  [
    {
      pipeline: 'nightly-sales',
      digest: 'sha256:9f2c4e0b7a61d3f58c2e9a04b6d17e3c5a8f0b29d4c61e7a3b5f08c2d9e4a716',
      dryRun: false,
      changed: true,
      applied: true,
      events: 3,
      positions: { first: 1201, last: 1203 },
      attempts: 1,
      summary: 'applied jobs +0 ~0 -0, endpoints +0 ~1 -1, edges +0 ~0 -0 (3 events)',
      diff: {
        jobs: { create: [], change: [], unchanged: 2, archive: [] },
        endpoints: {
          create: [],
          change: [{ id: 'load', fields: ['request.body'] }],
          unchanged: 2,
          archive: ['legacy-export'],
        },
        edges: { create: [], change: [], unchanged: 2, remove: [] },
      },
    },
  ],
);
