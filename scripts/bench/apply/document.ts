/**
 * The pipeline document the bench applies: `jobs` jobs of `perJob` endpoints each. In a job the
 * endpoints form a chain (each depends on the one before it); the first endpoint of every job but
 * every tenth depends on the last endpoint of the job before it (an edge across jobs). 1000 jobs
 * of 10 endpoints: 10 000 endpoints, 9 900 edges. Nothing runs in this phase: the URLs are never
 * called.
 */
export interface BenchDocument {
  readonly name: string;
  readonly jobs: {
    readonly id: string;
    readonly name: string;
    readonly endpoints: Record<string, unknown>[];
  }[];
}

export function benchDocument(
  name: string,
  endpoints: number,
  perJob = 10,
  prefix = '',
): BenchDocument {
  const jobs = Math.ceil(endpoints / perJob);
  const id = (j: number, e: number) => `${prefix}ep-${j}-${e}`;
  return {
    name,
    jobs: Array.from({ length: jobs }, (_, j) => ({
      id: `${prefix}job-${j}`,
      name: `Bench job ${j}`,
      endpoints: Array.from({ length: Math.min(perJob, endpoints - j * perJob) }, (_, e) => {
        const upstream = e > 0 ? id(j, e - 1) : j % 10 !== 0 ? id(j - 1, perJob - 1) : null;
        return {
          id: id(j, e),
          name: `Bench endpoint ${j}.${e}`,
          request: {
            method: 'POST',
            url: `http://127.0.0.1:9/bench/${j}/${e}`,
            headers: { 'content-type': { value: 'application/json' } },
            body: '{"bench":true}',
          },
          baseline: e === 0 ? { kind: 'interval', everyMs: 3_600_000 } : { kind: 'none' },
          ...(upstream === null ? {} : { dependsOn: [{ upstream, condition: 'ok' }] }),
        };
      }),
    })),
  };
}

/** How many edges a document declares. */
export const edgesOf = (document: BenchDocument): number =>
  document.jobs.reduce(
    (n, job) =>
      n +
      job.endpoints.reduce(
        (m, e) => m + ((e['dependsOn'] as unknown[] | undefined)?.length ?? 0),
        0,
      ),
    0,
  );
