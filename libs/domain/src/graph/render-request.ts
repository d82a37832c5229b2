import { HttpRequest } from '../endpoint/config.js';
import type { EndpointState } from '../endpoint/state.js';
import {
  isTemplate,
  renderTemplate,
  type CascadeInput,
  type ResponseInput,
} from '../expressions/index.js';
import type { EdgeInputs, ObservedResponse } from './inputs.js';

/** The rendered request of a cascade's run, or the first template that failed. */
export type RenderedRequest =
  | { readonly request: HttpRequest }
  | { readonly templateError: { readonly field: string; readonly message: string } };

/**
 * Renders the `{{ … }}` templates of the endpoint's request — URL (with its query), header values
 * and body — over the upstream responses a fan-in used (`upstream.<edge name>`) and the cascade.
 * Secret header values are sealed and never templated: they pass through as they are. A template
 * that fails (a missing key, say) is reported with the field and the expression, for the run to
 * be recorded as failed.
 */
export function renderRequest(
  state: EndpointState,
  used: readonly (readonly [EdgeInputs, ObservedResponse])[],
  cascade: CascadeInput,
): RenderedRequest {
  const request = state.config?.request;
  if (request === undefined) return { templateError: { field: 'request', message: 'no config' } };
  const upstream: Record<string, ResponseInput> = {};
  for (const [inputs, w] of used) {
    upstream[inputs.edge.name] = {
      status: w.status,
      ok: w.ok,
      body: w.body ?? null,
      headers: w.headers ?? {},
      durationMs: 0,
    };
  }
  const render = (field: string, text: string): string | { field: string; message: string } => {
    if (!isTemplate(text)) return text;
    const rendered = renderTemplate(text, { upstream, cascade });
    return rendered.ok ? rendered.value : { field, message: rendered.error.message };
  };
  const url = render('request.url', request.url);
  if (typeof url !== 'string') return { templateError: url };
  const headers: HttpRequest['headers'] = {};
  for (const [name, header] of Object.entries(request.headers)) {
    if (header.secret) {
      headers[name] = header;
      continue;
    }
    const value = render(`request.headers.${name}`, header.value);
    if (typeof value !== 'string') return { templateError: value };
    headers[name] = { ...header, value };
  }
  let body = request.body;
  if (body !== undefined) {
    const rendered = render('request.body', body);
    if (typeof rendered !== 'string') return { templateError: rendered };
    body = rendered;
  }
  // What the templates produced must still be a request Orrery sends (an http(s) URL, no
  // credentials in it, header values without line breaks).
  const parsed = HttpRequest.safeParse({
    ...request,
    url,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  if (parsed.success) return { request: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    templateError: {
      field: ['request', ...(issue?.path ?? []).map(String)].join('.'),
      message: `the rendered request is invalid: ${issue?.message ?? 'invalid'}`,
    },
  };
}
