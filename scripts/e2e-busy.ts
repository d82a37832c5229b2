/**
 * Runs the e2e tier N times in a row while busy loops keep the CPU pinned, as
 * when other work loads every core: a correctness test must not depend on speed.
 *
 *   npm run test:e2e:busy                     5 runs, 2 busy loops
 *   npm run test:e2e:busy -- --runs 3 --busy 2 --timeout 15
 *
 * Each run is `vitest run --project e2e` with CI=true (DATABASE_URL and
 * REDIS_URL as given); its output goes to a log file. Prints one line per run
 * and a summary, stops at the first failure (printing the end of its log), and
 * exits 0 only when every run passed. The busy loops die with this script,
 * however it ends (Ctrl-C, SIGTERM, even SIGKILL), and after --timeout × runs
 * minutes at the latest; a run longer than --timeout minutes is stopped.
 */
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBusyLoops } from './lib/busy-loops.js';
import { startProcessGroup, type ProcessGroup } from './lib/process-group.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    busy: { type: 'string', default: '2' },
    timeout: { type: 'string', default: '15' },
  },
});
const count = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive whole number (got ${values[name]})`);
    process.exit(2);
  }
  return n;
};
const runs = count('runs');
const busy = count('busy');
const runTimeoutMs = count('timeout') * 60_000;

const require = createRequire(import.meta.url);
const vitestBin = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const logDir = mkdtempSync(join(tmpdir(), 'orrery-e2e-busy-'));

const loops = startBusyLoops(busy, runs * runTimeoutMs + 60_000);
let current: ProcessGroup | undefined;
// However this script ends, the run and the loops end with it (the loops also
// watch their stdin, for the ways that skip this handler).
process.on('exit', () => {
  current?.signal('SIGKILL');
  loops.stop();
});
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    const exit = (): never => process.exit(signal === 'SIGINT' ? 130 : 143);
    if (stopping || current === undefined) exit(); // a second signal: at once
    stopping = true;
    console.log(`\n${signal}: stopping the busy loops and the run in progress`);
    loops.stop();
    void current?.stop(15_000).then(exit);
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () => loadavg()[0] ?? 0;

interface Outcome {
  readonly ok: boolean;
  readonly ms: number;
  readonly exit: string;
  readonly peakLoad: number;
  readonly log: string;
}

/** One `vitest run --project e2e`, its output in `log`; the 1-minute load average sampled. */
async function runOnce(n: number): Promise<Outcome> {
  const log = join(logDir, `run-${n}.log`);
  const out = createWriteStream(log);
  const started = Date.now();
  const run = startProcessGroup(process.execPath, [vitestBin, 'run', '--project', 'e2e'], {
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  current = run;
  run.child.stdout?.pipe(out, { end: false });
  run.child.stderr?.pipe(out, { end: false });
  let peakLoad = load();
  const sampler = setInterval(() => (peakLoad = Math.max(peakLoad, load())), 2_000);
  const timer = setTimeout(() => {
    out.write(`\n[e2e-busy] stopped after ${seconds(runTimeoutMs)}\n`);
    void run.stop(10_000);
  }, runTimeoutMs);
  const { code, signal } = await run.exited;
  run.signal('SIGKILL'); // anything the run left behind
  clearInterval(sampler);
  clearTimeout(timer);
  current = undefined;
  run.child.stdout?.unpipe(out);
  run.child.stderr?.unpipe(out);
  await new Promise<void>((resolve) => out.end(resolve));
  const exit = signal === null ? `exit ${code}` : `killed by ${signal}`;
  return { ok: code === 0, ms: Date.now() - started, exit, peakLoad, log };
}

/** The end of a failed run's log, without colour codes. */
function tail(log: string, lines = 40): string {
  // eslint-disable-next-line no-control-regex
  const text = readFileSync(log, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The pipeline test's own account of the drain, when its summary is in the log. */
function drain(log: string): string {
  const match = /cut-off at (\d+) ms, drained at (\d+) ms/.exec(readFileSync(log, 'utf8'));
  return match
    ? `; pipeline drained ${seconds(Number(match[2]) - Number(match[1]))} after the cut-off`
    : '';
}

/** Runs the series; resolves with the exit code (or never, once a signal stops it). */
async function main(): Promise<number> {
  console.log(
    `e2e tier ×${runs}, ${busy} busy loop(s) on ${cpus().length} core(s), load avg 1 min` +
      ` ${load().toFixed(1)} before; logs in ${logDir}`,
  );
  const outcomes: Outcome[] = [];
  for (let n = 1; n <= runs; n++) {
    const cpuBefore = loops.cpuSeconds();
    const outcome = await runOnce(n);
    if (stopping) return new Promise<number>(() => {}); // the signal handler exits
    outcomes.push(outcome);
    const used = loops.cpuSeconds().map((s, i) => (s ?? NaN) - (cpuBefore[i] ?? NaN));
    const share = used.reduce((a, b) => a + b, 0) / used.length / (outcome.ms / 1000);
    console.log(
      `run ${n}/${runs}: ${outcome.ok ? 'passed' : 'FAILED'} (${outcome.exit}) in` +
        ` ${seconds(outcome.ms)}; load avg 1 min ${load().toFixed(1)} at the end,` +
        ` peak ${outcome.peakLoad.toFixed(1)}; each busy loop had` +
        ` ${Number.isNaN(share) ? '?' : Math.round(share * 100)}% of a core${drain(outcome.log)}`,
    );
    if (!outcome.ok) {
      console.log(`--- end of ${outcome.log}\n${tail(outcome.log)}\n---`);
      break;
    }
  }
  const passed = outcomes.filter((o) => o.ok).length;
  const total = outcomes.reduce((sum, o) => sum + o.ms, 0);
  const longest = Math.max(...outcomes.map((o) => o.ms));
  const peak = Math.max(...outcomes.map((o) => o.peakLoad));
  console.log(
    (passed === runs
      ? `all green: ${runs} of ${runs} runs passed`
      : `FAILED at run ${outcomes.length} of ${runs}`) +
      ` in ${seconds(total)} (longest ${seconds(longest)}); peak load avg 1 min ${peak.toFixed(1)}`,
  );
  return passed === runs ? 0 : 1;
}

process.exit(await main());
