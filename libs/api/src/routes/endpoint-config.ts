import { createHash, timingSafeEqual } from 'node:crypto';
import { EndpointConfig, type EndpointConfigInput, type EndpointState } from '@orrery/domain';
import { REDACTED, SecretBox, sealHeaders } from '@orrery/secrets';
import { ProblemError } from '../problem.js';
import type { EndpointUpdate } from '../schemas/endpoints.js';

type Headers = EndpointConfig['request']['headers'];

const invalid = (field: string, message: string) =>
  new ProblemError('validation', `${field}: ${message}`, [{ field, message }]);

/**
 * Headers as they go into the log: secret values sealed. A secret sent back as
 * "***" keeps the stored value of the same header; a value that looks sealed is
 * refused (only this API seals, so it can only be a copy or a mistake).
 */
export function sealForLog(box: SecretBox, incoming: Headers, stored: Headers | null): Headers {
  const out: Headers = {};
  for (const [name, header] of Object.entries(incoming)) {
    const field = `body.request.headers.${name}.value`;
    if (SecretBox.isSealed(header.value)) throw invalid(field, 'must not start with enc:v1:');
    if (header.secret && header.value === REDACTED) {
      const kept = Object.entries(stored ?? {}).find(
        ([storedName, h]) => h.secret && storedName.toLowerCase() === name.toLowerCase(),
      );
      if (!kept) throw invalid(field, `"${REDACTED}" keeps a stored secret, and ${name} has none`);
      out[name] = kept[1];
    } else {
      out[name] = header;
    }
  }
  return sealHeaders(box, out);
}

/** The update merged over the current config, validated as a whole (paths name the body). */
export function mergeConfig(
  current: EndpointConfig,
  patch: EndpointUpdate,
  headers: Headers | undefined,
) {
  const { request, backoff, maxIntervalMs, ...rest } = patch;
  const { body, headers: _headers, ...requestRest } = request ?? {};
  const { body: currentBody, ...currentRequest } = current.request;
  const { maxIntervalMs: currentMax, ...currentRest } = current;
  const nextBody = body === null ? undefined : (body ?? currentBody);
  const nextMax = maxIntervalMs === null ? undefined : (maxIntervalMs ?? currentMax);
  const merged: EndpointConfigInput = {
    ...currentRest,
    ...rest,
    request: {
      ...currentRequest,
      ...requestRest,
      headers: headers ?? current.request.headers,
      ...(nextBody === undefined ? {} : { body: nextBody }),
    },
    ...(nextMax === undefined ? {} : { maxIntervalMs: nextMax }),
    backoff: { ...current.backoff, ...backoff },
  };
  const parsed = EndpointConfig.safeParse(merged);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw invalid(['body', ...(issue?.path ?? [])].join('.'), issue?.message ?? 'invalid');
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether a sealed value opens to `plain` (a value sealed under another key never does). */
function opensTo(box: SecretBox, sealed: string, plain: string): boolean {
  let opened: string;
  try {
    opened = box.open(sealed);
  } catch {
    return false;
  }
  return timingSafeEqual(digest(opened), digest(plain));
}

/**
 * Headers of a create as they go into the log, for an endpoint that may exist already (a
 * retried create). A secret equal, once opened, to the stored secret of the same header keeps
 * the stored sealed value, so an identical retry compares equal in the decider: sealing again
 * never would, as every sealing draws a fresh IV. Any other header is sealed as by
 * {@link sealForLog} with nothing stored ("***" keeps nothing on a create).
 *
 * Comparing opened values tells a key holder whether a guess equals a stored secret; a key
 * holder can already point the endpoint at a server of theirs and receive it, so this reveals
 * nothing new, while refusing every retry with a secret would make such creates unsafe to retry.
 */
export function sealForCreate(box: SecretBox, incoming: Headers, existing: EndpointState): Headers {
  const stored = existing.config?.request.headers ?? {};
  const sealed = sealForLog(box, incoming, null);
  return Object.fromEntries(
    Object.entries(incoming).map(([name, header]) => {
      const kept = stored[name];
      const same =
        header.secret && kept?.secret && SecretBox.isSealed(kept.value)
          ? opensTo(box, kept.value, header.value)
          : false;
      return [name, same && kept ? kept : (sealed[name] ?? header)];
    }),
  );
}
