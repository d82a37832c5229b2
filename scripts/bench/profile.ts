/**
 * Optional (BENCH_PROFILE=1): a sampling CPU profile of the main thread during
 * a measured window, folded into self time per package and per function, so
 * "where the time goes" inside this process has evidence.
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  readonly sampledMs: number;
  /** Self time by package (node_modules package, @orrery lib, node internals, GC, idle). */
  readonly byPackage: { name: string; ms: number; pct: number }[];
  /** Hottest functions by self time. */
  readonly topFunctions: { name: string; ms: number; pct: number }[];
}

export function packageOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return '(program: native, unattributed)';
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (nm?.[1]) return nm[1];
  const lib = url.match(/\/(libs|services)\/([^/]+)\//);
  if (lib?.[2]) return `@orrery/${lib[2]}`;
  if (url.includes('/scripts/bench/')) return 'bench instrumentation';
  if (url.startsWith('node:')) return 'node internals';
  return url === '' ? '(native / builtins)' : url;
}

export class CpuProfiler {
  #session: Session | undefined;

  async start(): Promise<void> {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    this.#session = session;
  }

  async stop(): Promise<ProfileSummary | null> {
    const session = this.#session;
    this.#session = undefined;
    if (!session) return null;
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    await session.post('Profiler.disable');
    session.disconnect();
    return summarizeProfile(profile);
  }
}

export function summarizeProfile(profile: Profile, top = 40): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const id = samples[i];
    // A sample's time is the delta to the next one.
    const us = deltas[i + 1] ?? 0;
    if (id === undefined || us <= 0) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
    total += us;
  }
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const file = url.replace(/^.*\/(node_modules|libs|services|scripts)\//, '$1/');
    const fn = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const ranked = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 1000),
        pct: total > 0 ? Math.round((us / total) * 1000) / 10 : 0,
      }));
  return {
    sampledMs: Math.round(total / 1000),
    byPackage: ranked(packages, 20),
    topFunctions: ranked(functions, top),
  };
}
