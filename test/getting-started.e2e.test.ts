import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePipelineText } from '@orrery/api';
import {
  startTargetServer,
  useTestDatabase,
  waitFor,
  type TargetRequest,
  type TargetServer,
} from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedOrrery, type EmbeddedOrrery } from './support/embedded-orrery.js';
import { guideSteps, type GuideStep } from './support/markdown-steps.js';
import { repoRoot } from './support/service-process.js';
import { ShellSession, type CommandResult } from './support/shell-session.js';

// docs/getting-started.md, run as a reader runs it, and every pipeline document in examples/.
//
// Which commands run: a fenced ```sh block preceded by `<!-- test: <step> -->` (markdown-steps.ts).
// The test finds each step by that name and runs the block's commands as they are written, one
// after another in one bash session (what one exports, the next sees), each bounded by a timeout.
// Blocks without the comment are shown, never run: `npm ci` / `npm start` (the harness starts the
// instance itself, on a fresh database) and the tracing ones (they need a collector).
//
// The reader's defaults stand for this instance's, in commands and in the example documents:
// http://127.0.0.1:3000 (the API), http://127.0.0.1:4610 (the demo shop), http://127.0.0.1:4620
// (the examples' placeholder for your own services: a scripted loopback target here), `.orrery/`
// (the data directory) and `examples/` (a copy with those URLs replaced). The CLI finds the
// database through DATABASE_URL here (the reader's finds it through `.orrery/pg.url`).
//
// Nothing waits for a guessed time: where the guide says "give it a few seconds", the test waits
// (bounded, generously) for the outcome the reader waits for.

const db = useTestDatabase();
const STEPS = [
  'setup',
  'create-job',
  'create-endpoint',
  'list-runs',
  'apply',
  'history',
  'explain',
  'what-if',
];
const COMMAND_TIMEOUT_MS = 90_000;
const WAIT = { timeoutMs: 90_000, intervalMs: 200 };

/** What the scripted services of the examples answer; the scenarios flip these. */
const services = { storeComplete: false, busy: true, gatewayUp: true };

/** The examples' services (see the comment at the top of each document). */
function answer(request: TargetRequest): unknown {
  const url = new URL(request.path, 'http://target');
  switch (url.pathname) {
    case '/etl/extract':
      return { batch_id: '2026-11-30', rows: 42, ready_for_next_stage: true };
    case '/etl/transform':
      return { batch_id: url.searchParams.get('batch'), rows: 40, ready_for_next_stage: true };
    case '/fanin/web':
      return { day: '2026-11-29', complete: true, total: 1200 };
    case '/fanin/store':
      return { day: '2026-11-29', complete: services.storeComplete, total: 800 };
    case '/orch/plan':
      return { endpoints_to_trigger: ['reindex-search', 'purge-cache'] };
    case '/shed/monitor':
      return { pause_low_priority: services.busy };
    default:
      return { ok: true };
  }
}

let orrery: EmbeddedOrrery;
let target: TargetServer;
let examplesCopy: string;
let shell: ShellSession;
let steps: Map<string, GuideStep>;
let shellEnv: Record<string, string>;

/** A guide's text with the reader's defaults replaced by this instance's. */
function localize(text: string): string {
  return text
    .replaceAll('http://127.0.0.1:3000', orrery.baseUrl)
    .replaceAll('http://127.0.0.1:4610', orrery.demoUrl)
    .replaceAll('http://127.0.0.1:4620', target.url)
    .replace(/(?<![\w./-])\.orrery\//g, `${orrery.dataDir}/`)
    .replace(/(?<![\w./-])examples\//g, `${examplesCopy}/`);
}

/** Runs a marked block of the guide; every command must succeed. Answers each one's result. */
async function runStep(name: string, session = shell): Promise<CommandResult[]> {
  const step = steps.get(name);
  if (!step) throw new Error(`the guide marks no step ${name}`);
  const results: CommandResult[] = [];
  for (const command of step.commands) {
    const result = await session.run(localize(command), COMMAND_TIMEOUT_MS);
    const where = `step ${name} (line ${step.line}): ${result.command}`;
    expect(result.code, `${where}\n${result.stdout}\n${result.stderr}`).toBe(0);
    results.push(result);
  }
  return results;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${orrery.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${orrery.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Run {
  id: string;
  outcome: string;
  reason: string;
  httpStatus: number | null;
}
interface Entry {
  type: string;
  position: number;
  data: Record<string, unknown>;
}
interface Ref {
  endpointId: string;
  runId: string;
  position: number;
}

const runsOf = async (endpoint: string) =>
  (await api<{ items: Run[] }>('GET', `/v1/endpoints/${endpoint}/runs?limit=100`)).items;
const finished = async (endpoint: string) =>
  (await runsOf(endpoint)).filter((run) => run.outcome !== 'pending');
const historyOf = async (endpoint: string) =>
  (await api<{ entries: Entry[] }>('GET', `/v1/endpoints/${endpoint}/history?limit=1000`)).entries;
const runNow = (endpoint: string) => api('POST', `/v1/endpoints/${endpoint}/run`, {});
const requestsTo = (path: string) =>
  target.requests.filter((request) => new URL(request.path, 'http://target').pathname === path);

/** Waits for an entry of the endpoint's history that `match` accepts. */
const waitForEntry = (what: string, endpoint: string, match: (entry: Entry) => boolean) =>
  waitFor(what, async () => (await historyOf(endpoint)).find(match), WAIT);

/** Waits for the first request the target got on `path`. */
const waitForRequest = (path: string) =>
  waitFor(`a call to ${path}`, () => requestsTo(path)[0], WAIT);

beforeAll(async () => {
  steps = new Map(
    guideSteps(await readFile(join(repoRoot, 'docs/getting-started.md'), 'utf8')).map((step) => [
      step.name,
      step,
    ]),
  );
  [orrery, target] = await Promise.all([
    startEmbeddedOrrery(db().url),
    startTargetServer({
      respond: answer,
      status: (path) => (path.startsWith('/breaker/health') && !services.gatewayUp ? 503 : 200),
    }),
  ]);
  // The examples as the guide's commands read them: a copy, pointed at this instance's services.
  examplesCopy = await mkdtemp(join(tmpdir(), 'orrery-examples-'));
  await cp(join(repoRoot, 'examples'), examplesCopy, { recursive: true });
  for (const file of await readdir(examplesCopy)) {
    const path = join(examplesCopy, file);
    await writeFile(path, localize(await readFile(path, 'utf8')));
  }
  shellEnv = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    DATABASE_URL: db().url,
    // The reader's `.orrery/`: where the CLI finds the key that seals secret header values.
    ORRERY_DATA_DIR: orrery.dataDir,
    npm_config_update_notifier: 'false',
  };
  shell = await ShellSession.open(repoRoot, shellEnv);
});

afterAll(async () => {
  await shell?.close();
  await orrery?.stop();
  await target?.close();
  if (examplesCopy) await rm(examplesCopy, { recursive: true, force: true });
});

describe('docs/getting-started.md', () => {
  it('marks the steps this test checks, in order', () => {
    // A step added to the guide must be checked here too: run blindly, it could never fail.
    expect([...steps.keys()]).toEqual(STEPS);
    expect(STEPS.every((name) => (steps.get(name)?.commands.length ?? 0) > 0)).toBe(true);
  });

  it('0 and 3. npm start prints the API, the dashboard (served) and where the key is', async () => {
    expect(orrery.output()).toContain(`API ${orrery.baseUrl}`);
    expect(orrery.output()).toContain(`dashboard ${orrery.baseUrl}/ui`);
    expect(orrery.output()).toContain(`saved in ${orrery.dataDir}/api-key`);
    await runStep('setup');
    expect(shell.env['ORRERY_URL']).toBe(orrery.baseUrl);
    expect(shell.env['ORRERY_KEY']).toBe(orrery.apiKey);
    // Step 3 opens the dashboard in a browser: it is served (test/dashboard.e2e.test.ts drives it).
    const ui = await fetch(`${orrery.baseUrl}/ui`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('1. creates a job and an endpoint with curl; its runs call the demo shop', async () => {
    const [job] = await runStep('create-job');
    expect(JSON.parse(job?.stdout ?? '')).toMatchObject({ id: 'hello', status: 'active' });
    const [endpoint] = await runStep('create-endpoint');
    expect(JSON.parse(endpoint?.stdout ?? '')).toMatchObject({
      id: 'stock-check',
      jobId: 'hello',
      config: { request: { url: `${orrery.demoUrl}/inventory` } },
      schedule: { reason: 'first_run' },
    });

    // "Give it a few seconds": the reader waits for a run to have answered.
    await waitFor('a run of stock-check', async () => (await finished('stock-check'))[0], WAIT);
    const [runs] = await runStep('list-runs');
    const { items } = JSON.parse(runs?.stdout ?? '') as { items: Run[] };
    expect(items).toContainEqual(
      expect.objectContaining({ outcome: 'succeeded', httpStatus: 200 }),
    );
    // The newest three may all be later ones by now; the first one says why it ran.
    expect((await runsOf('stock-check')).at(-1)?.reason).toBe('first_run');
  });

  it('2. the dry run lists the pipeline, the apply makes it, and the stages run in order', async () => {
    const [dry, applied] = await runStep('apply');
    expect(dry?.stdout).toMatch(/pipeline first-cascade \(tenant default\): dry run, nothing/);
    for (const line of [
      '+ job intake',
      '+ job warehouse',
      '+ endpoint fetch-orders',
      '+ endpoint pack-orders',
      '+ endpoint refresh-report',
      '+ edge fetch-orders.pack-orders',
      '+ edge pack-orders.refresh-report',
    ])
      expect(dry?.stdout).toContain(line);
    expect(applied?.stdout).toMatch(/first-cascade \(tenant default\): applied jobs \+2 ~0 -0/);

    // The reader watches for a report run; the demo shop reports new orders on most polls.
    const report = await waitFor(
      'a refresh-report run that answered',
      async () => (await finished('refresh-report')).find((run) => run.httpStatus === 200),
      WAIT,
    );
    const triggered = (await historyOf('refresh-report')).find(
      (entry) => entry.type === 'CascadeTriggered' && entry.data['request'] !== undefined,
    );
    expect(triggered?.data['cascade']).toMatchObject({
      depth: 2,
      chain: ['fetch-orders', 'pack-orders', 'refresh-report'],
    });
    expect(report.reason).toBe('cascade');

    // Each stage fired only once the stage before it had answered, with that answer's batch.
    const packInput = (triggered?.data['inputs'] as { response: Ref }[])[0]?.response;
    expect(packInput?.position).toBeLessThan(triggered?.position ?? 0);
    const pack = await historyOf('pack-orders');
    const root = (triggered?.data['cascade'] as { root: string }).root;
    const packFired = pack.find(
      (entry) =>
        entry.type === 'CascadeTriggered' &&
        (entry.data['cascade'] as { root: string }).root === root,
    );
    const ordersInput = (packFired?.data['inputs'] as { response: Ref }[])[0]?.response;
    expect(ordersInput?.endpointId).toBe('fetch-orders');
    expect(ordersInput?.position).toBeLessThan(packFired?.position ?? 0);
    const observed = pack.find(
      (entry) =>
        entry.type === 'UpstreamObserved' &&
        (entry.data['response'] as Ref).runId === ordersInput?.runId,
    );
    const batch = (observed?.data['body'] as { batch_id: string }).batch_id;
    expect(packFired?.data['request']).toMatchObject({
      url: `${orrery.demoUrl}/pack?batch=${batch}`,
    });
  });

  it('4. history and explain say the report ran as a cascade from the orders poll', async () => {
    const [history] = await runStep('history');
    expect(history?.stdout).toMatch(/history of endpoint refresh-report \(tenant default\)/);
    expect(history?.stdout).toMatch(
      /cascade run-refresh-report-\S+ fired by pack-orders run run-pack-orders-\S+ \(#\d+\); chain fetch-orders → pack-orders → refresh-report/,
    );
    expect(history?.stdout).toMatch(/run run-refresh-report-\S+ → 200 ok in \d+ ms, cascade from/);

    const [explain] = await runStep('explain');
    expect(explain?.stdout).toMatch(/next run: none — trigger_only/);
    expect(explain?.stdout).toContain(
      'pack-orders.refresh-report (trigger from pack-orders when ok && body.packed == true)',
    );
    expect(explain?.stdout).toMatch(
      /recent dispatches:\n\s+#\d+ \S+ run run-refresh-report-\S+: cascade from fetch-orders run/,
    );
  });

  it('5. the what-if without the pack → report edge makes every report run vanish', async () => {
    const [whatIf] = await runStep('what-if');
    const row = (endpoint: string) => {
      const match = new RegExp(`^${endpoint}\\s+warehouse\\s+((?:\\d+\\s+){8}\\d+)$`, 'm').exec(
        whatIf?.stdout ?? '',
      );
      const [recorded, simulated, same, , , vanished] = (match?.[1] ?? '').split(/\s+/).map(Number);
      return { recorded, simulated, same, vanished };
    };
    const report = row('refresh-report');
    expect(report.recorded, whatIf?.stdout).toBeGreaterThan(0);
    expect(report).toMatchObject({ simulated: 0, vanished: report.recorded });
    // Packing keeps its runs: its own upstream, the orders poll, is unchanged.
    expect(row('pack-orders').same).toBeGreaterThan(0);
  });
});

describe('examples/', () => {
  let documents: { file: string; name: string; endpoints: { id: string; jobId: string }[] }[];

  beforeAll(async () => {
    const files = (await readdir(examplesCopy)).filter((file) => file.endsWith('.yaml')).sort();
    documents = await Promise.all(
      files.map(async (file) => {
        const document = parsePipelineText(
          await readFile(join(examplesCopy, file), 'utf8'),
          'yaml',
        ) as { name: string; jobs: { id: string; endpoints: { id: string }[] }[] };
        const endpoints = document.jobs.flatMap((job) =>
          job.endpoints.map(({ id }) => ({ id, jobId: job.id })),
        );
        return { file, name: document.name, endpoints };
      }),
    );
  });

  it('every document applies cleanly: a dry run lists it, the apply registers it', async () => {
    expect(documents.map((d) => d.file)).toEqual(
      expect.arrayContaining([
        'circuit-breaker.yaml',
        'etl-chain.yaml',
        'fan-in.yaml',
        'first-cascade.yaml',
        'load-shedding.yaml',
        'orchestrator.yaml',
      ]),
    );
    // Through the API's PUT /v1/pipelines/{name} (YAML, as the file is): the same applyPipeline
    // as `npm run orrery -- apply`, whose --dry-run and apply step 2 of the guide runs. Each CLI
    // run starts tsx and loads every library (5 s of CPU, far more on a busy machine): twelve
    // more would triple the file's wall time and check nothing the guide's two do not.
    const put = async (document: (typeof documents)[number], dryRun: boolean) => {
      const response = await fetch(
        `${orrery.baseUrl}/v1/pipelines/${document.name}?dryRun=${dryRun}`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${orrery.apiKey}`, 'content-type': 'application/yaml' },
          body: await readFile(join(examplesCopy, document.file), 'utf8'),
        },
      );
      const answer = (await response.json()) as {
        changed: boolean;
        applied: boolean;
        diff: { endpoints: { create: string[] } };
      };
      expect(response.status, `${document.file}: ${JSON.stringify(answer)}`).toBe(200);
      return answer;
    };
    for (const document of documents) {
      const dry = await put(document, true);
      const real = await put(document, false);
      // The guide applied first-cascade already: then there is nothing to apply.
      if (dry.changed) {
        expect(dry.diff.endpoints.create.sort(), document.file).toEqual(
          document.endpoints.map(({ id }) => id).sort(),
        );
        expect(real.applied, document.file).toBe(true);
      } else expect(real.changed, document.file).toBe(false);
      for (const { id, jobId } of document.endpoints) {
        await expect(api('GET', `/v1/endpoints/${id}`), document.file).resolves.toMatchObject({
          jobId,
          status: 'active',
        });
      }
    }
  });

  it('etl-chain: extract → transform → load, each fed the batch of the stage before', async () => {
    await runNow('etl-extract');
    const load = await waitForRequest('/etl/load');
    const [extract] = requestsTo('/etl/extract');
    const [transform] = requestsTo('/etl/transform');
    expect(transform?.path).toBe('/etl/transform?batch=2026-11-30');
    expect(JSON.parse(transform?.body ?? '')).toEqual({ rows: 42 });
    // `cascade.root` is the extract run, whose id every call of it carries as Idempotency-Key.
    expect(JSON.parse(load.body)).toEqual({
      batch: '2026-11-30',
      run: extract?.headers['idempotency-key'],
    });
    expect(extract?.at).toBeLessThanOrEqual(transform?.at ?? 0);
    expect(transform?.at).toBeLessThanOrEqual(load.at);
  });

  it('fan-in: the day is reconciled once both sources reported it, not before', async () => {
    await runNow('web-sales');
    await waitForEntry(
      'reconcile-day to observe the web report',
      'reconcile-day',
      (entry) =>
        entry.type === 'UpstreamObserved' && entry.data['edgeId'] === 'web-sales.reconcile-day',
    );
    // One source alone fires nothing: the decision is taken with the observation, in one append.
    expect((await historyOf('reconcile-day')).map((entry) => entry.type)).not.toContain(
      'CascadeTriggered',
    );
    expect(requestsTo('/fanin/reconcile')).toEqual([]);

    services.storeComplete = true;
    await runNow('store-sales');
    const reconcile = await waitForRequest('/fanin/reconcile');
    expect(reconcile.path).toBe('/fanin/reconcile?day=2026-11-29');
    expect(JSON.parse(reconcile.body)).toEqual({ web: 1200, store: 800 });
    const store = requestsTo('/fanin/store').at(-1);
    expect(store?.at).toBeLessThanOrEqual(reconcile.at);
  });

  it('orchestrator: the workers the plan names run, the others do not', async () => {
    await runNow('maintenance-plan');
    const [reindex, purge] = await Promise.all([
      waitForRequest('/orch/reindex'),
      waitForRequest('/orch/purge-cache'),
    ]);
    const [plan] = requestsTo('/orch/plan');
    expect(plan?.at).toBeLessThanOrEqual(Math.min(reindex.at, purge.at));
    // The worker the plan left out judged the same answer: not satisfied, so no run.
    const skipped = await waitForEntry(
      'rebuild-thumbnails to judge the plan',
      'rebuild-thumbnails',
      (entry) => entry.type === 'UpstreamObserved',
    );
    expect(skipped.data['satisfied']).toBe(false);
    expect(requestsTo('/orch/thumbnails')).toEqual([]);
  });

  it('load-shedding: a busy monitor shuts the gate, a calm one opens it', async () => {
    const observed = (satisfied: boolean) => (entry: Entry) =>
      entry.type === 'UpstreamObserved' && entry.data['satisfied'] === satisfied;
    await runNow('load-monitor');
    await waitForEntry('export-reports to see "busy"', 'export-reports', observed(false));
    await runNow('export-reports');
    const skip = await waitForEntry(
      'the skipped run',
      'export-reports',
      (entry) => entry.type === 'RunSkipped',
    );
    expect(skip.data).toMatchObject({
      reason: 'gate_closed',
      edgeId: 'load-monitor.export-reports',
    });
    expect(requestsTo('/shed/export')).toEqual([]);

    services.busy = false;
    await runNow('load-monitor');
    await waitForEntry('export-reports to see "calm"', 'export-reports', observed(true));
    await runNow('export-reports');
    await waitForRequest('/shed/export');
  });

  it('circuit-breaker: three failed health checks hold billing until the gateway answers', async () => {
    services.gatewayUp = false;
    const before = (await finished('gateway-health')).length;
    for (let failures = 1; failures <= 3; failures++) {
      await runNow('gateway-health');
      await waitFor(
        `failed health check ${failures}`,
        async () =>
          (await finished('gateway-health')).length >= before + failures ? true : undefined,
        WAIT,
      );
    }
    const charge = () =>
      api<{ schedule: { reason: string } }>('GET', '/v1/endpoints/charge-subscriptions');
    await waitFor(
      'the breaker to hold billing',
      async () => ((await charge()).schedule.reason === 'upstream_failing' ? true : undefined),
      WAIT,
    );
    expect(requestsTo('/breaker/charge')).toEqual([]);

    services.gatewayUp = true;
    await runNow('gateway-health');
    await waitForEntry(
      'the breaker to close',
      'charge-subscriptions',
      (entry) => entry.type === 'UpstreamRecovered',
    );
    expect((await charge()).schedule.reason).not.toBe('upstream_failing');
    await runNow('charge-subscriptions');
    const call = await waitForRequest('/breaker/charge');
    // The secret header was sealed by the CLI with the instance's key, and opened for the call.
    expect(call.headers['authorization']).toBe('Bearer example-token');
  });
});
