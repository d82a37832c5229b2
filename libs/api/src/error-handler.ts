import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
} from 'fastify-type-provider-zod';
import { problem, ProblemError, type Problem, type ProblemCode } from './problem.js';

const send = (reply: FastifyReply, body: Problem) =>
  reply.status(body.status).type('application/problem+json').send(body);

const byFastifyCode: Record<string, ProblemCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation',
  FST_ERR_VALIDATION: 'validation',
  FST_ERR_BAD_URL: 'validation',
  FST_ERR_MAX_PARAM_LENGTH: 'validation',
  FST_ERR_ASYNC_CONSTRAINT: 'validation',
};

/** Postgres refusing a value (a character it cannot store, a number out of range): the input's fault. */
const invalidInputSqlStates = new Set([
  '22P05',
  '22021',
  '22003',
  '22007',
  '22008',
  '22P02',
  '54000',
]);

/**
 * The one place errors become HTTP answers: RFC 9457 problem JSON with a
 * stable `type`, the field paths of validation errors, and never a stack.
 */
export function errorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const instance = request.url.split('?')[0] ?? request.url;
  if (error instanceof ProblemError) {
    return send(
      reply,
      problem(error.code, error.message, {
        instance,
        ...(error.errors ? { errors: error.errors } : {}),
        ...(error.refusal ? { refusal: error.refusal } : {}),
      }),
    );
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((issue) => ({
      field: [error.validationContext, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
      message: issue.message ?? 'invalid',
    }));
    const first = errors[0];
    return send(
      reply,
      problem('validation', first ? `${first.field}: ${first.message}` : 'invalid request', {
        instance,
        errors,
      }),
    );
  }
  if (isResponseSerializationError(error)) {
    request.log.error({ err: error }, 'response does not match its schema');
    return send(reply, problem('internal', 'the server produced an invalid answer', { instance }));
  }
  if (error.statusCode === 429) {
    return send(reply, problem('rate_limited', error.message, { instance }));
  }
  const code = error.code ? byFastifyCode[error.code] : undefined;
  if (code) return send(reply, problem(code, error.message, { instance }));
  const sqlState = (error as { code?: unknown }).code;
  if (typeof sqlState === 'string' && invalidInputSqlStates.has(sqlState)) {
    request.log.warn({ err: error }, 'the database refused a value');
    return send(
      reply,
      problem('validation', 'a value in the request cannot be stored', { instance }),
    );
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return send(reply, problem('validation', error.message, { instance }));
  }
  request.log.error({ err: error }, 'unhandled error');
  return send(reply, problem('internal', 'something went wrong on our side', { instance }));
}
