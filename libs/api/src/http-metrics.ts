import { DURATION_BUCKETS_S, seconds, type Instrumentation } from '@orrery/telemetry';
import type { FastifyInstance } from 'fastify';

/** The API's instruments (see docs/observability.md). */
export const API_METRICS = {
  /** Every answer, from the request's arrival to the answer sent, in s (OpenTelemetry's name). */
  requestDuration: 'http.server.request.duration',
} as const;

/** The methods OpenTelemetry's HTTP conventions name; any other is recorded as `_OTHER`. */
const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
]);

/**
 * Records the duration of every answer the app sends — as the OpenTelemetry semantic conventions
 * for an HTTP server name it and its attributes — with the route's template (`/v1/jobs/:jobId`,
 * never the path a client sent, which holds ids: a fixed set of values), the method and the
 * status; `error.type` is the status of a 5xx. An answer no route matched (a 404 of the router)
 * has no `http.route`. Durations are Fastify's `reply.elapsedTime`: from the request's arrival to
 * the answer written to the socket.
 */
export function recordRequests(app: FastifyInstance, meter: Instrumentation['meter']): void {
  const duration = meter.createHistogram(API_METRICS.requestDuration, {
    description: 'Duration of HTTP server requests',
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] },
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    const status = reply.statusCode;
    duration.record(seconds(reply.elapsedTime), {
      'http.request.method': KNOWN_METHODS.has(request.method) ? request.method : '_OTHER',
      'http.response.status_code': status,
      ...(route === undefined ? {} : { 'http.route': route }),
      ...(status >= 500 ? { 'error.type': String(status) } : {}),
    });
    done();
  });
}
