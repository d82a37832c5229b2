import type { FastifyInstance } from 'fastify';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import type { ApiDeps } from './deps.js';

/** Sends raw bytes to the listening app; answers the status line, headers and body. */
async function raw(port: number, request: string) {
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer in 5 s')));
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.split(': ')[1]]),
  );
  return { statusLine, headers, body: body ? (JSON.parse(body) as unknown) : null };
}

describe('a request no route takes', () => {
  let app: FastifyInstance;
  let port = 0;
  beforeAll(async () => {
    // Unrouted requests never reach a handler, so the deps are a stub.
    app = await buildApp({ now: Date.now } as unknown as ApiDeps);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(() => app.close());

  it('on a documented path answers 405 with Allow naming exactly its documented methods', async () => {
    const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const wrong: string[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      const path = template.replace(/\{\w+\}/g, 'x1');
      const documented = Object.keys(item).map((method) => method.toUpperCase());
      const expected = [...documented, ...(documented.includes('GET') ? ['HEAD'] : [])].sort();
      // QUERY is served nowhere, so it must answer 405 on every documented path.
      const response = await app.inject({ method: 'QUERY', url: path });
      const allow = String(response.headers['allow'] ?? '')
        .split(', ')
        .sort();
      if (response.statusCode !== 405 || allow.join() !== expected.join()) {
        wrong.push(`${path}: ${response.statusCode} Allow: ${allow.join(', ')}`);
      }
    }
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
    expect(wrong).toEqual([]);

    const put = await app.inject({ method: 'PUT', url: '/v1/jobs' });
    expect(put.statusCode).toBe(405);
    expect(put.headers['allow']).toBe('GET, HEAD, POST');
    expect(put.headers['content-type']).toContain('application/problem+json');
    expect(put.json()).toMatchObject({
      type: '/problems/method-not-allowed',
      status: 405,
      instance: '/v1/jobs',
    });
  });

  it('on a path the app does not serve answers 404, without Allow', async () => {
    for (const method of ['GET', 'POST', 'QUERY'] as const) {
      const response = await app.inject({ method, url: '/v1/jobs/x1/nope' });
      expect(response.statusCode, method).toBe(404);
      expect(response.headers['allow'], method).toBeUndefined();
      expect(response.json(), method).toMatchObject({ type: '/problems/not-found' });
    }
  });

  it('over a real socket: QUERY, with or without a body, and a broken body answer 405', async () => {
    const requests = [
      // Node's parser knows QUERY; Fastify would refuse it for lacking a Content-Type first.
      'QUERY /v1/jobs HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
      'QUERY /v1/jobs?limit=5 HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
        'content-length: 13\r\nconnection: close\r\n\r\n{"name":"x"} ',
      // The body of a request no route takes is not parsed: no 400 for broken JSON.
      'PUT /v1/jobs/x1/ HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
        'content-length: 1\r\nconnection: close\r\n\r\n{',
    ];
    const answers = await Promise.all(requests.map((request) => raw(port, request)));
    expect(answers.map((a) => [a.statusLine, a.headers['allow']])).toEqual([
      ['HTTP/1.1 405 Method Not Allowed', 'GET, HEAD, POST'],
      ['HTTP/1.1 405 Method Not Allowed', 'GET, HEAD, POST'],
      ['HTTP/1.1 405 Method Not Allowed', 'GET, HEAD, DELETE, PATCH'],
    ]);
    for (const answer of answers) {
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ status: 405 });
    }
  });
});
