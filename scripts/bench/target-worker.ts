/**
 * The loopback HTTP target, in a worker thread so serving it does not compete
 * with the measured event loop. Posts `{ url }` once listening; on 'close'
 * stops and posts `{ closed, total }`.
 */
import { parentPort } from 'node:worker_threads';
import { startTargetServer } from '@orrery/testkit';

const port = parentPort;
if (!port) throw new Error('target-worker.ts must run as a worker thread');
const target = await startTargetServer();
port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  void target.close().then(() => {
    port.postMessage({ closed: true, total: target.total() });
    port.close();
  });
});
port.postMessage({ url: target.url });
