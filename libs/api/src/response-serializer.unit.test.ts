import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorHandler } from './error-handler.js';
import { sameBothWays, serializerCompiler } from './response-serializer.js';
import { page } from './schemas/common.js';
import { EndpointSchema } from './schemas/endpoints.js';
import { ExplanationSchema } from './schemas/explain.js';
import { JobSchema, type JobView } from './schemas/jobs.js';

const job: JobView = {
  id: 'nightly',
  name: 'Nightly',
  description: '',
  status: 'active',
  paused: { until: null, reason: 'held' },
  createdAt: '2026-03-01T09:30:00.000Z',
  planner: {
    enabled: true,
    backend: 'heuristic',
    policy: {
      antiThrash: { windowMs: 600_000, maxChanges: 3, cooldownMs: 60_000 },
      budget: { windowMs: 3_600_000, perEndpoint: 20, perJob: 100 },
      maxPlannerPauseMs: 3_600_000,
    },
  },
};

const serialize = (schema: z.ZodType) =>
  serializerCompiler({ schema, method: 'GET', url: '/test', httpStatus: '200' });

describe('the response serializer', () => {
  it('checks the hot reads with the forward parse, and a schema with defaults or transforms by encoding', () => {
    expect(sameBothWays(JobSchema)).toBe(true);
    expect(sameBothWays(page(JobSchema))).toBe(true);
    expect(sameBothWays(ExplanationSchema)).toBe(true);
    // An endpoint's config carries defaults: a missing field must fail as it does when encoding.
    expect(sameBothWays(EndpointSchema)).toBe(false);
    expect(sameBothWays(z.object({ at: z.string().transform(Number) }))).toBe(false);
    expect(sameBothWays(z.object({ n: z.number().default(1) }))).toBe(false);
  });

  it('answers exactly what encoding answered, without the keys the schema does not know', () => {
    const data = { ...job, internal: 'never sent' };
    const encoded = z.encode(JobSchema, job);
    expect(serialize(JobSchema)(data)).toBe(JSON.stringify(encoded));
    const list = page(JobSchema);
    const items = { items: [data, { ...data, id: 'other' }], nextCursor: null };
    expect(serialize(list)(items)).toBe(
      JSON.stringify(z.encode(list, { items: [job, { ...job, id: 'other' }], nextCursor: null })),
    );
  });

  it('refuses an answer that breaks its schema: a 500, never the answer', async () => {
    for (const bad of [
      { ...job, status: 'deleted' },
      { ...job, createdAt: 'yesterday' },
      { ...job, name: undefined },
    ]) {
      expect(() => serialize(JobSchema)(bad)).toThrow(/doesn't match the schema/);
    }
    const app = Fastify();
    app.setSerializerCompiler(serializerCompiler);
    app.setErrorHandler(errorHandler);
    app.get('/job', { schema: { response: { 200: JobSchema } } }, async () => ({
      ...job,
      createdAt: 'not an instant',
    }));
    const answer = await app.inject({ method: 'GET', url: '/job' });
    expect(answer.statusCode).toBe(500);
    expect(answer.body).not.toContain('not an instant');
    await app.close();
  });
});
