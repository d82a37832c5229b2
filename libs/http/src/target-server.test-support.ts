import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SIGNATURE_HEADER, verifySignature, type VerifyResult } from './signature.js';

/** What the target saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly signature: VerifyResult;
}

/** Most bytes the streaming route will ever send (a bound, so a broken client cannot hang the test run). */
export const STREAM_LIMIT_BYTES = 10 * 1024 * 1024;

/**
 * A real `node:http` target on 127.0.0.1, port 0. It records every request,
 * verifies the signature with `secret` against the clock `nowSec`, and counts
 * sockets so tests can observe keep-alive reuse.
 */
export async function startTargetServer(secret: string, nowSec: () => number) {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const streams: Array<{ sentBytes: number; clientClosed: boolean }> = [];
  let port = 0;

  async function stream(res: ServerResponse) {
    let clientClosed = false;
    res.on('close', () => (clientClosed = true));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
    const chunk = Buffer.from('1,'.repeat(8 * 1024));
    let sentBytes = 1;
    while (sentBytes < STREAM_LIMIT_BYTES && !clientClosed) {
      sentBytes += chunk.length;
      if (!res.write(chunk)) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
    streams.push({ sentBytes, clientClosed });
    res.end('1]');
  }

  /** Holds the response open until the client goes away (or 10 s, as a bound). */
  function hold(res: ServerResponse) {
    const bound = setTimeout(() => res.destroy(), 10_000);
    res.on('close', () => clearTimeout(bound));
  }

  const routes: Record<string, (res: ServerResponse) => void | Promise<void>> = {
    '/json': (res) => {
      const body = JSON.stringify({ hello: 'world', n: 1 });
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'X-Request-Id': 'req-1',
        'RateLimit-Remaining': '9',
        'X-RateLimit-Limit': '10',
        'Retry-After': '30',
        'Cache-Control': 'no-store',
        ETag: '"v1"',
        'Set-Cookie': 'session=secret',
        Server: 'target/1.0',
        'X-Internal-Debug': 'hidden',
      });
      res.end(body);
    },
    '/fail': (res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"boom"}');
    },
    '/stream': stream,
    '/slow': hold,
    '/slow-body': (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial ');
      hold(res);
    },
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      seen.push({
        method: req.method ?? '',
        path,
        headers: req.headers,
        body,
        signature: verifySignature({
          secret,
          header: req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined,
          method: req.method ?? '',
          url: `http://127.0.0.1:${port}${path}`,
          body,
          nowSec: nowSec(),
        }),
      });
      const route = routes[path.split('?')[0] ?? ''];
      if (route === undefined) res.writeHead(404).end();
      else void route(res);
    });
  });
  server.on('connection', (socket: Socket) => sockets.add(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;

  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    port,
    seen,
    sockets,
    streams,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A port that was just listening and is now closed: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
