import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@orrery/postgres';
import { waitFor } from '@orrery/testkit';
import { repoRoot } from './service-process.js';

/** `npm start` as a process (every service, the demo) on a database, with its banner read. */
export interface EmbeddedOrrery {
  /** The API, `http://127.0.0.1:<port>` (a reader's `http://127.0.0.1:3000`). */
  readonly baseUrl: string;
  /** The demo shop, `http://127.0.0.1:<port>` (a reader's `http://127.0.0.1:4610`). */
  readonly demoUrl: string;
  /** Its files: the API key, the secret key (a reader's `.orrery/`); removed by `stop`. */
  readonly dataDir: string;
  readonly apiKey: string;
  /** What it printed (the banner and any warning). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `services/orrery/src/main.ts` (what `npm start` runs) on `databaseUrl`, on free
 * loopback ports for the API and the demo's shop, and waits (bounded) for its banner.
 */
export async function startEmbeddedOrrery(databaseUrl: string): Promise<EmbeddedOrrery> {
  const [port, demoPort] = [await freePort(), await freePort()];
  const dataDir = await mkdtemp(join(tmpdir(), 'orrery-embedded-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/orrery/src/main.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      DEMO_PORT: String(demoPort),
      ORRERY_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async () => {
    if (!gone) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const apiKey = await waitFor(
      'the start banner',
      () => {
        if (gone) throw new Error(`orrery exited before its banner:\n${out}`);
        return /Orrery is up\.[\s\S]*?(ork_default\.\S+)/.exec(out)?.[1];
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      demoUrl: `http://127.0.0.1:${demoPort}`,
      dataDir,
      apiKey,
      output: () => out,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
