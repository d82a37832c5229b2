import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { statFields } from './proc-stat.js';

/**
 * The body of each busy process: spin in 100 ms slices until `maxMs` has
 * passed, or until its stdin closes, which happens when the process that
 * started it exits in any way (even SIGKILL), so a loop never outlives it.
 */
const SPIN = `
const deadline = Date.now() + Number(process.argv[1]);
process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();
const spin = () => {
  const until = Date.now() + 100;
  while (Date.now() < until);
  if (Date.now() < deadline) setImmediate(spin);
  else process.exit(0);
};
spin();
`;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface BusyLoops {
  readonly pids: readonly number[];
  /** CPU seconds each loop has used so far (from /proc; null where unreadable). */
  cpuSeconds(): (number | null)[];
  /** SIGKILLs every loop still running. Synchronous: safe in an `exit` handler. */
  stop(): void;
}

/** Starts `count` processes that each keep one core busy, for at most `maxMs`. */
export function startBusyLoops(count: number, maxMs: number): BusyLoops {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', SPIN, String(maxMs)], { stdio: ['pipe', 'ignore', 'ignore'] }),
  );
  const pids = children.map((child) => {
    if (child.pid === undefined) throw new Error('a busy loop did not start');
    return child.pid;
  });
  return {
    pids,
    cpuSeconds: () => pids.map(cpuSecondsOf),
    stop() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = statFields(stat);
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
