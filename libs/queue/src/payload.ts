import { queueCatalogue, type QueuePayload, type QueueName } from '@orrery/domain';

/** One schema violation of a job payload: the dotted path of the field and what is wrong. */
export interface PayloadIssue {
  readonly field: string;
  readonly message: string;
}

/**
 * A dequeued payload that fails its queue's catalogue schema: a broken
 * producer. Both adapters report it through `onError` and never retry it.
 * The message names the queue, the job id and every offending field.
 */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
  readonly queue: QueueName;
  readonly jobId: string;
  readonly issues: readonly PayloadIssue[];

  constructor(queue: QueueName, jobId: string, issues: readonly PayloadIssue[]) {
    const detail = issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
    super(`invalid payload on queue "${queue}", job ${jobId}: ${detail}`);
    this.queue = queue;
    this.jobId = jobId;
    this.issues = issues;
  }
}

export type ParsedPayload<Q extends QueueName> =
  | { readonly ok: true; readonly data: QueuePayload<Q> }
  | { readonly ok: false; readonly error: InvalidPayloadError };

/** Parses a dequeued payload with the catalogue schema of its queue (defaults applied). */
export function parsePayload<Q extends QueueName>(
  queue: Q,
  jobId: string,
  data: unknown,
): ParsedPayload<Q> {
  const result = queueCatalogue[queue].safeParse(data);
  if (result.success) return { ok: true, data: result.data };
  const issues = result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(payload)',
    message: issue.message,
  }));
  return { ok: false, error: new InvalidPayloadError(queue, jobId, issues) };
}
