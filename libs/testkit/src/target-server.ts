import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TargetServer {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  /** Requests seen per Idempotency-Key. */
  readonly hits: Map<string, number>;
  /** The last `traceparent` header seen per Idempotency-Key (absent when none was sent). */
  readonly traceparents: Map<string, string>;
  /** Request paths in arrival order (bounded by the test's own traffic). */
  readonly paths: string[];
  /** Every request in arrival order: path (with query), method, headers and body text. */
  readonly requests: TargetRequest[];
  total(): number;
  close(): Promise<void>;
}

export interface TargetRequest {
  readonly path: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** When it arrived (ms since the epoch). */
  readonly at: number;
}

export interface TargetOptions {
  /** The JSON body to answer a request with (default `{ ok, path, n }`). */
  readonly respond?: (request: TargetRequest, n: number) => unknown;
  /** Response status per request path (default 200). */
  readonly status?: (path: string) => number;
  /** Delay before answering, in ms (default 0). */
  readonly delayMs?: (path: string) => number;
}

/**
 * A real HTTP target on 127.0.0.1 (port 0) that counts requests per
 * Idempotency-Key, keeps every request, and answers JSON (`{ ok, path, n }` unless `respond`
 * scripts the answer).
 */
export async function startTargetServer(options: TargetOptions = {}): Promise<TargetServer> {
  const hits = new Map<string, number>();
  const traceparents = new Map<string, string>();
  const paths: string[] = [];
  const requests: TargetRequest[] = [];
  let total = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const path = req.url ?? '/';
      hits.set(key, (hits.get(key) ?? 0) + 1);
      const traceparent = req.headers['traceparent'];
      if (typeof traceparent === 'string') traceparents.set(key, traceparent);
      paths.push(path);
      const request: TargetRequest = {
        path,
        method: req.method ?? 'GET',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(request);
      total++;
      const n = total;
      const status = options.status?.(path) ?? 200;
      const answer = () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        const body = options.respond?.(request, n) ?? { ok: status < 400, path, n };
        res.end(JSON.stringify(body));
      };
      const delay = options.delayMs?.(path) ?? 0;
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    traceparents,
    paths,
    requests,
    total: () => total,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
