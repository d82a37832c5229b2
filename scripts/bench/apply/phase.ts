/**
 * Applying a whole pipeline at once against registering it endpoint by endpoint, through a real
 * API (`app.inject` on buildApp), each on a fresh database:
 *
 *   1. one by one — the document's first BENCH_PIPELINE_SAMPLE endpoints (300) registered with
 *      `POST /v1/jobs/{jobId}/endpoints` (each with its `dependsOn`), one after another, in
 *      document order; their rate extrapolated to the whole document (job creation not counted).
 *   2. apply — the whole document (BENCH_PIPELINE_ENDPOINTS, 10 000) in one
 *      `PUT /v1/pipelines/{name}` as JSON: the figure against the ≤ 5 s goal.
 *   3. the same document again (nothing to apply), then a dry run of a variant that changes 1 %
 *      of the endpoints — both before the projection has caught up (the read folds every
 *      stream from the log), so the slow case; then the projection runs to the head and the same
 *      document is applied again, from the read models' snapshots (the usual case).
 *   4. the same document as YAML (under other ids), into the first database.
 *
 * Nothing dispatches in this phase: no projection, dispatcher or executor runs.
 */
import { formatPipelineYaml } from '@orrery/api';
import { migrateDatabase } from '@orrery/event-store';
import { runToHead, schedulingMigrations, SchedulingProjection } from '@orrery/scheduling';
import pino from 'pino';
import type { BenchConfig } from '../config.js';
import { startApi, type BenchApi } from '../commands/api.js';
import { createBenchDatabase } from '../infra.js';
import type { Progress } from '../progress.js';
import { benchDocument, edgesOf, type BenchDocument } from './document.js';
import { APPLY_GOAL_SECONDS, type ApplyTiming, type PipelineApplyResult } from './result.js';

const NAME = 'bench';

async function apply(
  api: BenchApi,
  name: string,
  payload: string,
  contentType: string,
  query = '',
): Promise<ApplyTiming> {
  const answer = await api.call('PUT', `/v1/pipelines/${name}${query}`, payload, contentType);
  if (answer.status !== 200) {
    throw new Error(
      `PUT /v1/pipelines/${name} answered ${answer.status}: ${answer.body.slice(0, 500)}`,
    );
  }
  const body = JSON.parse(answer.body) as { events: number; changed: boolean; summary: string };
  return {
    seconds: answer.ms / 1000,
    events: body.events,
    changed: body.changed,
    summary: body.summary,
  };
}

/** Registers the sample one endpoint at a time (its jobs first, untimed); the endpoints' time. */
async function oneByOne(
  api: BenchApi,
  document: BenchDocument,
  sample: number,
  progress: Progress,
  signal: AbortSignal,
): Promise<{ seconds: number; registered: number }> {
  const places = document.jobs.flatMap((job) =>
    job.endpoints.map((endpoint) => ({ job, endpoint })),
  );
  const picked = places.slice(0, sample);
  for (const job of new Set(picked.map((p) => p.job))) {
    const created = await api.call('POST', '/v1/jobs', { id: job.id, name: job.name });
    if (created.status !== 201)
      throw new Error(`creating job ${job.id} answered ${created.status}`);
  }
  let ms = 0;
  for (const [i, { job, endpoint }] of picked.entries()) {
    if (signal.aborted) break;
    const answer = await api.call('POST', `/v1/jobs/${job.id}/endpoints`, endpoint);
    if (answer.status !== 201) {
      throw new Error(
        `registering ${String(endpoint['id'])} answered ${answer.status}: ${answer.body}`,
      );
    }
    ms += answer.ms;
    if (i % 50 === 49) progress.update(`one by one: ${i + 1} / ${picked.length}`);
  }
  progress.done();
  return { seconds: ms / 1000, registered: picked.length };
}

/** The document with every hundredth endpoint on another interval (1 % changed). */
function variant(document: BenchDocument): BenchDocument {
  let n = 0;
  return {
    ...document,
    jobs: document.jobs.map((job) => ({
      ...job,
      endpoints: job.endpoints.map((endpoint) =>
        n++ % 100 === 0
          ? { ...endpoint, baseline: { kind: 'interval', everyMs: 7_200_000 } }
          : endpoint,
      ),
    })),
  };
}

export async function runPipelineApply(
  cfg: BenchConfig,
  adminUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<PipelineApplyResult> {
  const document = benchDocument(NAME, cfg.pipelineEndpoints);
  const json = JSON.stringify(document);
  // The same shape under other ids, for the first database (its sample holds the first ids).
  const yaml = formatPipelineYaml(benchDocument(`${NAME}-yaml`, cfg.pipelineEndpoints, 10, 'y-'));
  const edges = edgesOf(document);
  const solo = await createBenchDatabase(adminUrl, 'pipeline_solo');
  const whole = await createBenchDatabase(adminUrl, 'pipeline');
  const apis: BenchApi[] = [];
  try {
    await migrateDatabase(solo.url, undefined, schedulingMigrations);
    await migrateDatabase(whole.url, undefined, schedulingMigrations);
    const soloApi = await startApi(solo.url);
    apis.push(soloApi);
    const wholeApi = await startApi(whole.url);
    apis.push(wholeApi);
    progress.log(
      `  document: ${document.jobs.length} jobs, ${cfg.pipelineEndpoints} endpoints, ${edges} edges · JSON ${(json.length / 1e6).toFixed(1)} MB, YAML ${(yaml.length / 1e6).toFixed(1)} MB`,
    );
    progress.log(
      `  registering ${cfg.pipelineSample} endpoints one by one (POST, in document order)…`,
    );
    const sample = await oneByOne(soloApi, document, cfg.pipelineSample, progress, signal);
    const perSecond = sample.registered / sample.seconds;
    progress.log(
      `  one by one: ${sample.registered} in ${sample.seconds.toFixed(1)} s (${perSecond.toFixed(0)}/s) → ~${(cfg.pipelineEndpoints / perSecond).toFixed(0)} s for ${cfg.pipelineEndpoints}`,
    );
    progress.log(`  applying the whole document (PUT, JSON)…`);
    const applied = await apply(wholeApi, NAME, json, 'application/json');
    progress.log(`  applied in ${applied.seconds.toFixed(2)} s: ${applied.summary}`);
    const again = await apply(wholeApi, NAME, json, 'application/json');
    progress.log(`  the same again in ${again.seconds.toFixed(2)} s: ${again.summary}`);
    const changed = JSON.stringify(variant(document));
    const dryRun = await apply(wholeApi, NAME, changed, 'application/json', '?dryRun=true');
    progress.log(`  dry run of 1 % changed in ${dryRun.seconds.toFixed(2)} s: ${dryRun.summary}`);
    // The read models catch up (the snapshots an apply starts from), as a running projection would.
    const { deps } = wholeApi;
    const log = pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }, pino.destination(2));
    const projecting = performance.now();
    const projection = new SchedulingProjection({ db: deps.db, store: deps.store });
    await runToHead(projection, { store: deps.store, db: deps.db, log, batchSize: 5_000 });
    const projectedSeconds = (performance.now() - projecting) / 1000;
    const snapshotted = await apply(wholeApi, NAME, json, 'application/json');
    progress.log(
      `  projected in ${projectedSeconds.toFixed(1)} s; the same again from the snapshots in ${snapshotted.seconds.toFixed(2)} s`,
    );
    progress.log(`  applying the same document as YAML (other ids, the first database)…`);
    const asYaml = await apply(soloApi, `${NAME}-yaml`, yaml, 'application/yaml');
    progress.log(`  applied as YAML in ${asYaml.seconds.toFixed(2)} s: ${asYaml.summary}`);
    const extrapolatedSeconds = cfg.pipelineEndpoints / perSecond;
    return {
      jobs: document.jobs.length,
      endpoints: cfg.pipelineEndpoints,
      edges,
      jsonBytes: json.length,
      yamlBytes: yaml.length,
      oneByOne: {
        sample: sample.registered,
        seconds: sample.seconds,
        endpointsPerSecond: perSecond,
        extrapolatedSeconds,
      },
      apply: applied,
      reapply: again,
      dryRun,
      projectedSeconds,
      reapplyFromSnapshots: snapshotted,
      yaml: asYaml,
      speedup: extrapolatedSeconds / applied.seconds,
      goal: { seconds: APPLY_GOAL_SECONDS, met: applied.seconds <= APPLY_GOAL_SECONDS },
    };
  } finally {
    for (const api of apis) await api.close();
    await solo.drop();
    await whole.drop();
  }
}
