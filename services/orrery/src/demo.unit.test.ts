import {
  checkCondition,
  checkTemplate,
  PipelineDocument,
  type PipelineDocumentInput,
} from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import { demoPipeline } from './demo.js';

describe('the demo pipeline', () => {
  const document: PipelineDocumentInput = demoPipeline('http://127.0.0.1:4610');

  it('is a valid pipeline document', () => {
    const parsed = PipelineDocument.safeParse(document);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('cascades across jobs, with data flowing through its templates', () => {
    const endpoints = document.jobs.flatMap((job) =>
      (job.endpoints ?? []).map((endpoint) => ({ job: job.id, endpoint })),
    );
    const pack = endpoints.find(({ endpoint }) => endpoint.id === 'demo-pack');
    const edge = pack?.endpoint.dependsOn?.[0];
    const upstream = endpoints.find(({ endpoint }) => endpoint.id === edge?.upstream);
    expect(pack?.job).not.toBe(upstream?.job);
    expect(checkCondition(edge?.condition ?? '')).toBeNull();
    const request = pack?.endpoint.request;
    for (const text of [request?.url ?? '', request?.body ?? '']) {
      expect(text).toContain('{{');
      expect(checkTemplate(text, [edge?.name ?? ''])).toBeNull();
    }
  });
});
