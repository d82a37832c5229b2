/** Starts the loopback target (testkit's), in a worker thread or inline. */
import { Worker } from 'node:worker_threads';
import { startTargetServer } from '@orrery/testkit';
import { withTimeout } from './time.js';

export interface Target {
  readonly url: string;
  readonly where: 'thread' | 'inline';
  /** Stops it; returns how many requests it answered. */
  close(): Promise<number>;
}

export async function startTarget(where: 'thread' | 'inline'): Promise<Target> {
  if (where === 'inline') {
    const server = await startTargetServer();
    return {
      url: server.url,
      where,
      close: async () => {
        await server.close();
        return server.total();
      },
    };
  }
  // Loader hooks are per thread: the worker registers tsx itself, then imports the TS module.
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./target-worker.ts', import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`,
    { eval: true },
  );
  const url = await withTimeout(
    new Promise<string>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (m: { url?: string }) =>
        m.url ? resolve(m.url) : reject(new Error('target worker sent no url')),
      );
    }),
    15_000,
    'starting the target thread',
  );
  if (url === undefined) {
    await worker.terminate();
    throw new Error('the target thread did not start');
  }
  return {
    url,
    where,
    close: async () => {
      const total = await withTimeout(
        new Promise<number>((resolve) => {
          worker.once('message', (m: { total?: number }) => resolve(m.total ?? 0));
          worker.postMessage('close');
        }),
        5_000,
        'closing the target thread',
      );
      await worker.terminate();
      return total ?? 0;
    },
  };
}
