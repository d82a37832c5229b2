import { randomUUID } from 'node:crypto';
import {
  fromIso,
  MAX_DURATION_MS,
  runOutcome,
  toIso,
  type DomainEvent,
  type EventOf,
  type HintRequest,
  type Millis,
} from '@orrery/domain';
import { openHeaders } from '@orrery/secrets';
import { newTraceparent } from '@orrery/telemetry';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { ProblemError } from '../problem.js';
import { jobState } from '../reads/jobs.js';
import { commandEndpoint, proposedHintView, readEndpoint } from '../reads/endpoints.js';
import { problemResponses } from '../schemas/common.js';
import {
  ClearedHintsSchema,
  ClearHintsQuery,
  EndpointParams,
  HintCreateSchema,
  HintSchema,
  RunNowSchema,
  TestRunResultSchema,
  TestRunSchema,
} from '../schemas/endpoints.js';
import { actor } from './actor.js';

/** A one-shot hint lives until this long after its run time unless a TTL is given. */
const ONE_SHOT_GRACE_MS = 10 * 60_000;

const isHintProposed = (event: DomainEvent): event is EventOf<'HintProposed'> =>
  event.type === 'HintProposed';

/** The body as the decider's hint request: `inMs`/`runAt`/now resolved, the default TTL applied. */
function hintRequest(body: z.infer<typeof HintCreateSchema>, now: Millis): HintRequest {
  if (body.kind === 'interval') {
    return { slot: 'interval', intervalMs: body.intervalMs, ttlMs: body.ttlMs };
  }
  const runAt = body.runAt !== undefined ? fromIso(body.runAt) : now + (body.inMs ?? 0);
  // With its default TTL (the run time plus a grace) within the 366 days a TTL may last.
  if (runAt - now > MAX_DURATION_MS - ONE_SHOT_GRACE_MS) {
    const message = 'at most 366 days from now, less 10 minutes';
    throw new ProblemError('validation', `body.runAt: ${message}`, [
      { field: 'body.runAt', message },
    ]);
  }
  const ttlMs = body.ttlMs ?? Math.max(runAt - now, 0) + ONE_SHOT_GRACE_MS;
  if (runAt >= now + ttlMs) {
    const message = 'the hint would expire before its run time';
    throw new ProblemError('validation', `body.ttlMs: ${message}`, [
      { field: 'body.ttlMs', message },
    ]);
  }
  return { slot: 'oneShot', runAt, ttlMs };
}

/** Hints from users (they outrank every other source) and agents, run now, and test runs. */
export const hintsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { deps } = app;
  const { secrets, caller } = deps;
  const tags = ['hints'];

  const propose = async (
    request: FastifyRequest,
    endpointId: string,
    /** Built with the decision's clock, so TTLs and delays measure from the same instant. */
    hint: (now: Millis) => HintRequest,
    reason: string,
    proposer: { source?: 'user' | 'agent' | undefined; basedOnPosition?: number | undefined },
  ) => {
    const metadata = actor(request);
    const hintId = randomUUID();
    const { events } = await commandEndpoint(
      deps,
      request.tenantId,
      endpointId,
      (_state, now) => ({
        type: 'ProposeHint',
        hintId,
        hint: hint(now),
        source: proposer.source ?? 'user',
        sourceId: metadata.actor.id,
        reason,
        ...(proposer.basedOnPosition === undefined
          ? {}
          : { basedOnPosition: proposer.basedOnPosition }),
      }),
      metadata,
    );
    const proposed = events.find(isHintProposed);
    const refused = events.find((e) => e.type === 'HintRejected');
    if (!proposed && refused?.type === 'HintRejected') {
      // Recorded (a conflict); the answer names the rule and the decision that won.
      const { proposalId, rule, detail, winner, cooldownUntil } = refused.data;
      throw new ProblemError('conflict', `refused by the arbiter (${rule}): ${detail}`, undefined, {
        proposalId,
        rule,
        detail,
        ...(winner ? { winner } : {}),
        ...(cooldownUntil === undefined ? {} : { cooldownUntil }),
      });
    }
    if (!proposed) throw new Error('ProposeHint appended no HintProposed');
    return proposedHintView(proposed.data);
  };

  app.post(
    '/endpoints/:endpointId/hints',
    {
      schema: {
        tags,
        operationId: 'createHint',
        summary: 'Set a hint: an interval that replaces the baseline, or a one-shot run',
        description:
          'Interval hints are clamped to the endpoint bounds (the clamp is in the answer). ' +
          'A one-shot hint runs at `runAt`, in `inMs` (give at most one of them), or now; it ' +
          'competes with the baseline and must not expire before its run time. A user hint ' +
          'replaces the hint in its slot. With `source: agent` the arbiter judges it as an ' +
          "agent's (below users and cascades, held off by a pause); a refusal is recorded and " +
          'answered 409 with the rule and the decision that won in `refusal`.',
        params: EndpointParams,
        body: HintCreateSchema,
        response: { 201: HintSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const hint = (at: Millis) => hintRequest(body, at);
      const reason = body.reason ?? (body.source === 'agent' ? 'set by agent' : 'set by user');
      const proposer = { source: body.source, basedOnPosition: body.basedOnPosition };
      return reply
        .status(201)
        .send(await propose(request, request.params.endpointId, hint, reason, proposer));
    },
  );

  app.delete(
    '/endpoints/:endpointId/hints',
    {
      schema: {
        tags,
        operationId: 'clearHints',
        summary: 'Clear hints (both slots, or one with ?slot=)',
        description:
          'Removes the interval hint, the one-shot hint, or both; the answer names the slots ' +
          'that held one.',
        params: EndpointParams,
        querystring: ClearHintsQuery,
        response: { 200: ClearedHintsSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { slot } = request.query;
      const { events } = await commandEndpoint(
        deps,
        request.tenantId,
        request.params.endpointId,
        { type: 'ClearHints', slots: slot ? [slot] : undefined, reason: 'cleared by user' },
        actor(request),
      );
      const cleared = events.find((event) => event.type === 'HintsCleared');
      return { cleared: cleared?.type === 'HintsCleared' ? [...cleared.data.slots] : [] };
    },
  );

  app.post(
    '/endpoints/:endpointId/run',
    {
      schema: {
        tags,
        operationId: 'runEndpointNow',
        summary: 'Run now (a user one-shot hint at the current time)',
        description:
          'Sets a one-shot hint at the current time (live for 10 minutes): the dispatcher runs ' +
          'the endpoint at its next tick, unless a pause holds it. With `source: agent`, a ' +
          "refusal (a pause, a user's or a cascade's live one-shot) is answered 409 with `refusal`.",
        params: EndpointParams,
        body: RunNowSchema.nullish(),
        response: { 202: HintSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const hint = (at: Millis): HintRequest => ({
        slot: 'oneShot',
        runAt: at,
        ttlMs: ONE_SHOT_GRACE_MS,
      });
      const reason = request.body?.reason ?? 'run now';
      const proposer = { source: request.body?.source };
      return reply
        .status(202)
        .send(await propose(request, request.params.endpointId, hint, reason, proposer));
    },
  );

  app.post(
    '/endpoints/:endpointId/test-run',
    {
      schema: {
        tags,
        operationId: 'testRunEndpoint',
        summary: 'Call the target once and record the response (no effect on the schedule)',
        description:
          'Calls the target now, with the same timeout and size cap as a run, and answers what ' +
          'came back. The response is recorded as a test run; the schedule does not change.',
        params: EndpointParams,
        body: TestRunSchema.nullish(),
        response: { 200: TestRunResultSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { endpointId } = request.params;
      const state = await readEndpoint(deps, request.tenantId, endpointId);
      const job = await jobState(deps, request.tenantId, state.jobId);
      if (state.status !== 'active' || !state.config || job?.status === 'archived') {
        throw new ProblemError('conflict', `endpoint ${endpointId} is archived`);
      }
      const { request: target, timeoutMs, responseCapBytes } = state.config;
      const runId = `test-${randomUUID()}`;
      const outcome = await caller.call({
        method: target.method,
        url: target.url,
        headers: openHeaders(secrets, target.headers),
        ...(target.body === undefined ? {} : { body: target.body }),
        timeoutMs,
        responseCapBytes,
        runId,
        // A test run is a trace of its own too.
        traceparent: newTraceparent(),
      });
      const result = {
        runId,
        startedAt: toIso(outcome.startedAt),
        finishedAt: toIso(outcome.finishedAt),
        status: outcome.status,
        ok: outcome.ok,
        durationMs: outcome.durationMs,
        headers: outcome.headers,
        body: outcome.body,
        bodyTruncated: outcome.bodyTruncated,
        ...(outcome.error ? { error: outcome.error } : {}),
      };
      await commandEndpoint(
        deps,
        request.tenantId,
        endpointId,
        { type: 'RecordResponse', response: { ...result, test: true } },
        actor(request),
      );
      return { ...result, outcome: runOutcome(result) };
    },
  );
};
