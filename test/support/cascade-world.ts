import type { EventStore, RecordedEvent } from '@orrery/domain';
import { endpointStream } from '@orrery/domain';
import type { TargetRequest } from '@orrery/testkit';
import { expect } from 'vitest';

/**
 * A JSON answer as the tests read it: they assert on its shape rather than trust a type (the
 * typed client covers the API's types in api.e2e).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A tenant's API over HTTP: every answer with its status and parsed body. */
export class TenantApi {
  constructor(
    readonly baseUrl: string,
    private readonly key: string,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  /** A call that must succeed (2xx); fails the test with the problem otherwise. */
  async ok(method: string, path: string, body?: unknown): Promise<Json> {
    const answer = await this.call(method, path, body);
    expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
    return answer.body;
  }

  job(id: string) {
    return this.ok('POST', '/v1/jobs', { id, name: id });
  }

  endpoint(jobId: string, body: Record<string, unknown>) {
    return this.ok('POST', `/v1/jobs/${jobId}/endpoints`, body);
  }

  pauseJob(jobId: string) {
    return this.ok('POST', `/v1/jobs/${jobId}/pause`, { until: null, reason: 'test over' });
  }
}

/**
 * The loopback target's script: answers per path prefix, so each scenario owns its part of the
 * URL space (`/etl/...`, `/ingest/...`).
 */
export class Script {
  readonly #routes = new Map<string, (request: TargetRequest, url: URL) => unknown>();

  on(prefix: string, answer: (request: TargetRequest, url: URL) => unknown): void {
    this.#routes.set(prefix, answer);
  }

  readonly respond = (request: TargetRequest): unknown => {
    const url = new URL(request.path, 'http://target');
    for (const [prefix, answer] of this.#routes) {
      if (url.pathname.startsWith(prefix)) return answer(request, url);
    }
    return { ok: true };
  };
}

/** The requests of one path (without the query), in arrival order. */
export const callsTo = (requests: readonly TargetRequest[], pathname: string) =>
  requests.filter((r) => new URL(r.path, 'http://target').pathname === pathname);

export const queryOf = (request: TargetRequest, name: string) =>
  new URL(request.path, 'http://target').searchParams.get(name);

/** An endpoint's stream, read from the log. */
export const streamOf = (store: EventStore, tenantId: string, endpointId: string) =>
  store.readStream(endpointStream(tenantId, endpointId));

export const ofType = <T extends RecordedEvent['type']>(
  events: readonly RecordedEvent[],
  type: T,
): Extract<RecordedEvent, { type: T }>[] =>
  events.filter((e): e is Extract<RecordedEvent, { type: T }> => e.type === type);

/** The runs dispatched for an endpoint, one per run id (a re-dispatch is the same run). */
export async function runsOf(store: EventStore, tenantId: string, endpointId: string) {
  const events = await streamOf(store, tenantId, endpointId);
  const runs = new Map<string, Extract<RecordedEvent, { type: 'RunDispatched' }>>();
  for (const event of ofType(events, 'RunDispatched')) {
    if (!runs.has(event.data.runId)) runs.set(event.data.runId, event);
  }
  return [...runs.values()];
}
