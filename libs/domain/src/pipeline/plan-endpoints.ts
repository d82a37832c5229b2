import type { Decided } from '../decider.js';
import { differingPaths } from '../differences.js';
import type { EndpointCommand } from '../endpoint/commands.js';
import type { EndpointConfig, EndpointConfigInput } from '../endpoint/config.js';
import { endpointDecider } from '../endpoint/decider.js';
import type { EndpointState } from '../endpoint/state.js';
import { endpointStream } from '../streams.js';
import type { Ownership, PlanOutput } from './plan-output.js';

/** The endpoints the pipeline created that the document drops (they are archived). */
export function droppedEndpoints(out: PlanOutput): Set<string> {
  return new Set(out.live.pipeline.created.endpoints.filter((id) => !out.declared.has(id)));
}

/**
 * The config a document asks of an endpoint that exists: one that names no start policy keeps
 * the endpoint's (a start policy only matters before the first run).
 */
const reconfigured = (config: EndpointConfigInput, state: EndpointState): EndpointConfigInput =>
  config.start === undefined && state.config?.start !== undefined
    ? { ...config, start: state.config.start }
    : config;

/** Each declared endpoint's config once applied (parsed), for the checks of its edges. */
export type AppliedConfigs = ReadonlyMap<string, EndpointConfig>;

/**
 * Decides the document's endpoints with the endpoint decider: registers the new ones, reconfigures
 * the ones whose config differs (an identical config decides nothing), and archives the ones the
 * pipeline created that the document drops. An endpoint of another job, or an archived one, is a
 * conflict: endpoints never move between jobs, and an archived one never comes back.
 */
export function planEndpoints(
  out: PlanOutput,
  dropped: ReadonlySet<string>,
): Ownership & { readonly configs: AppliedConfigs } {
  const { input, ctx, live } = out;
  const previous = new Set(live.pipeline.created.endpoints);
  const owned: Ownership = { created: [], adopted: [] };
  const configs = new Map<string, EndpointConfig>();
  /** Appends what was decided, or notes the refusal at the endpoint's path. */
  const record = (id: string, state: EndpointState, decided: Decided, path: string) => {
    if (!decided.ok) {
      const { code, field, message } = decided.error;
      const at = field ? `${path}${field.replace(/^config/, '')}` : path;
      out.issue(code === 'validation' ? 'validation' : 'conflict', at, message);
      return [];
    }
    out.append(endpointStream(input.tenantId, id), state.version, decided.value);
    return decided.value;
  };
  for (const { endpoint, jobId, path } of out.places) {
    const { id } = endpoint;
    const state = live.endpoints.get(id) ?? endpointDecider.initialState();
    const config = input.configs.get(id);
    if (!config) throw new Error(`no config was prepared for endpoint ${id}`);
    if (state.status === 'unregistered') {
      owned.created.push(id);
      const { tenantId } = input;
      const command: EndpointCommand = {
        type: 'Register',
        endpointId: id,
        jobId,
        tenantId,
        config,
      };
      const [registered] = record(id, state, endpointDecider.decide(command, state, ctx), path);
      if (registered?.type === 'EndpointRegistered') {
        out.endpoints.create.push(id);
        configs.set(id, registered.data.config);
      }
      continue;
    }
    (previous.has(id) ? owned.created : owned.adopted).push(id);
    if (state.status === 'archived') {
      const why = 'an archived endpoint never comes back: give it another id';
      out.issue('conflict', `${path}.id`, `endpoint ${id} is archived, and ${why}`);
    } else if (state.jobId !== jobId) {
      const why = 'endpoints do not move between jobs';
      out.issue('conflict', `${path}.id`, `endpoint ${id} belongs to job ${state.jobId}: ${why}`);
    } else {
      const asked = reconfigured(config, state);
      // The document's config is parsed already (defaults applied): when no path differs from
      // the stored one there is nothing to decide. (The decider compares configs as text, and a
      // state read back from a jsonb snapshot holds its keys in another order.)
      if (differingPaths(state.config, asked).length === 0 && state.config) {
        out.endpoints.unchanged += 1;
        configs.set(id, state.config);
        continue;
      }
      const decided = endpointDecider.decide({ type: 'Reconfigure', config: asked }, state, ctx);
      const [event] = record(id, state, decided, path);
      if (event?.type === 'EndpointReconfigured') {
        out.endpoints.change.push({ id, fields: differingPaths(state.config, event.data.config) });
        configs.set(id, event.data.config);
      } else if (state.config) {
        configs.set(id, state.config);
      }
    }
  }
  for (const id of dropped) {
    const state = live.endpoints.get(id);
    if (!state || state.status !== 'active') continue;
    const reason = `dropped from pipeline ${input.name}`;
    const archived = record(
      id,
      state,
      endpointDecider.decide({ type: 'Archive', reason }, state, ctx),
      'jobs',
    );
    if (archived.length > 0) out.endpoints.archive.push(id);
  }
  return { ...owned, configs };
}
