import { jobDecider, type JobCommand } from '../job/job.js';
import { jobStream } from '../streams.js';
import type { Ownership, PlanOutput } from './plan-output.js';

/**
 * Decides the document's jobs: creates the new ones, updates the name or description of those
 * that differ (only what the document names), and archives the ones the pipeline created that
 * the document drops. An archived job cannot take a document's endpoints (a conflict).
 */
export function planJobs(out: PlanOutput): Ownership {
  const { input, ctx, live } = out;
  const previous = new Set(live.pipeline.created.jobs);
  const declared = new Set<string>();
  const owned: Ownership = { created: [], adopted: [] };
  const decide = (jobId: string, command: JobCommand, field: string) => {
    const state = live.jobs.get(jobId) ?? jobDecider.initialState();
    const decided = jobDecider.decide(command, state, ctx);
    if (!decided.ok) {
      out.issue('conflict', field, decided.error.message);
      return [];
    }
    out.append(jobStream(input.tenantId, jobId), state.version, decided.value);
    return decided.value;
  };
  input.document.jobs.forEach((job, j) => {
    declared.add(job.id);
    const state = live.jobs.get(job.id);
    const field = `jobs.${j}`;
    if (!state || state.status === 'unregistered') {
      const { id, name = id, description } = job;
      const command: JobCommand = {
        type: 'CreateJob',
        jobId: id,
        tenantId: input.tenantId,
        name,
        ...(description === undefined ? {} : { description }),
      };
      if (decide(id, command, `${field}.id`).length > 0) out.jobs.create.push(id);
      owned.created.push(id);
      return;
    }
    (previous.has(job.id) ? owned.created : owned.adopted).push(job.id);
    if (state.status === 'archived') {
      out.issue('conflict', `${field}.id`, `job ${job.id} is archived: it takes no endpoints`);
      return;
    }
    const name = job.name !== undefined && job.name !== state.name ? job.name : undefined;
    const description =
      job.description !== undefined && job.description !== state.description
        ? job.description
        : undefined;
    if (name === undefined && description === undefined) {
      out.jobs.unchanged += 1;
      return;
    }
    const command: JobCommand = {
      type: 'UpdateJob',
      ...(name === undefined ? {} : { name }),
      ...(description === undefined ? {} : { description }),
    };
    decide(job.id, command, field);
    const fields = [...(name === undefined ? [] : ['name'])];
    if (description !== undefined) fields.push('description');
    out.jobs.change.push({ id: job.id, fields });
  });
  for (const jobId of previous) {
    if (declared.has(jobId)) continue;
    const state = live.jobs.get(jobId);
    if (!state || state.status !== 'active') continue;
    const reason = `dropped from pipeline ${input.name}`;
    if (decide(jobId, { type: 'ArchiveJob', reason }, 'jobs').length > 0) {
      out.jobs.archive.push(jobId);
    }
  }
  return owned;
}
