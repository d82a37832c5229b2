import { fromIso, whatIf, WhatIfChanges, type WhatIfReport } from '@orrery/domain';
import type { ApiDeps } from '../deps.js';
import { fromDomainError, ProblemError } from '../problem.js';
import { WHAT_IF_LIMITS, type WhatIfRequestBody } from '../schemas/what-if.js';
import { readJob } from './jobs.js';
import { readWhatIfHistory, registrations } from './what-if-history.js';

/**
 * Recorded runs due in the window are compared even when they were dispatched up to this long
 * after its end (a late dispatch, a cascade's hop).
 */
const LATE_MS = 60_000;

const unprocessable = (field: string, message: string) =>
  new ProblemError('unprocessable', `${field.replace(/^body\./, '')}: ${message}`, [
    { field, message },
  ]);

/**
 * `POST /v1/what-if`: reads the scope's history from the log (never appends) and re-runs it
 * with the changes (see `whatIf` in the domain and docs/what-if.md). Tenant-scoped: another
 * tenant's job or endpoints answer 404. A window that is empty, longer than
 * {@link WHAT_IF_LIMITS}.windowMs or ends after now, a scope too large or a simulation past its
 * run limit answer 422.
 */
export async function runWhatIf(
  deps: Pick<ApiDeps, 'events' | 'store' | 'db' | 'pool' | 'now'>,
  tenantId: string,
  body: WhatIfRequestBody,
): Promise<WhatIfReport> {
  const from = fromIso(body.from);
  const to = fromIso(body.to);
  if (to <= from) throw unprocessable('body.to', 'must be after from');
  if (to - from > WHAT_IF_LIMITS.windowMs) {
    throw unprocessable(
      'body.to',
      `the window may last at most 7 days (${WHAT_IF_LIMITS.windowMs} ms)`,
    );
  }
  if (to > deps.now())
    throw unprocessable('body.to', 'the window must end by now (it re-runs history)');
  const cut = new Date(to + LATE_MS);
  // The simulated endpoints are those registered by the window's end.
  const end = new Date(to);
  const changes = WhatIfChanges.safeParse(body.changes ?? {});
  if (!changes.success) {
    const issue = changes.error.issues[0];
    const field = ['body', 'changes', ...(issue?.path ?? []).map(String)].join('.');
    throw new ProblemError('validation', `${field}: ${issue?.message ?? 'invalid'}`, [
      { field, message: issue?.message ?? 'invalid' },
    ]);
  }
  let registered: Map<string, string>;
  if (body.job !== undefined) {
    await readJob(deps, tenantId, body.job);
    registered = await registrations(deps.events, tenantId, { jobId: body.job }, end);
    if (registered.size > WHAT_IF_LIMITS.endpoints) {
      throw unprocessable(
        'body.job',
        `job ${body.job} has ${registered.size} endpoints; a what-if simulates at most ` +
          `${WHAT_IF_LIMITS.endpoints}: name some with endpoints`,
      );
    }
  } else {
    const ids = [...new Set(body.endpoints ?? [])];
    registered = await registrations(deps.events, tenantId, { endpointIds: ids }, end);
    const missing = ids.find((id) => !registered.has(id));
    if (missing !== undefined) {
      throw new ProblemError('not_found', `endpoint ${missing} not found (before ${body.to})`);
    }
  }
  const addedUpstreams = changes.data.edges.add.map((edge) => edge.upstream);
  const known = await registrations(deps.events, tenantId, { endpointIds: addedUpstreams }, cut);
  const unknown = addedUpstreams.find((id) => !known.has(id));
  if (unknown !== undefined) throw new ProblemError('not_found', `endpoint ${unknown} not found`);

  const history = await readWhatIfHistory(
    deps.events,
    tenantId,
    { endpoints: [...registered].map(([endpointId, jobId]) => ({ endpointId, jobId })) },
    { from: new Date(from), to: new Date(to), cut },
    { addedUpstreams, maxEvents: WHAT_IF_LIMITS.events },
  );
  const report = whatIf({
    tenantId,
    from,
    to,
    history,
    changes: changes.data,
    toleranceMs: body.toleranceMs,
    ...(body.moveWindowMs === undefined ? {} : { moveWindowMs: body.moveWindowMs }),
    listLimit: body.listLimit,
    maxRuns: WHAT_IF_LIMITS.runs,
  });
  if (!report.ok) throw fromDomainError(report.error, (path) => `body.${path}`);
  return report.value;
}
