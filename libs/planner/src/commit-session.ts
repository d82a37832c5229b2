import {
  ConcurrencyError,
  defaultArbiterPolicy,
  endpointDecider,
  endpointStream,
  jobStream,
  makeEvent,
  plannerStream,
  type AppendRequest,
  type ArbiterPolicy,
  type CascadeContext,
  type DomainEvent,
  type EndpointState,
  type EventMetadata,
  type EventStore,
  type Holds,
  type Millis,
  type PlannerSessionInput,
  type Proposal,
  type ProposalDraft,
  type SessionProposal,
} from '@orrery/domain';

/** What the commit needs to know of the targets' jobs and the clock. */
export interface CommitDeps {
  readonly store: EventStore;
  /** A target's current state (read model copy + the log's tail). */
  readonly state: (endpointId: string) => Promise<EndpointState>;
  /**
   * A job as the arbiter takes it: its policy, the planner-induced extra runs it has in its
   * window, and its holds (a paused job holds planners off; the append is conditioned on the
   * job stream's version it was read at).
   */
  readonly job: (jobId: string) => Promise<JobInputs>;
  readonly now: () => Millis;
  /** Decide-append rounds before giving up (another writer kept moving a target). */
  readonly attempts?: number;
}

export interface JobInputs {
  readonly policy: ArbiterPolicy;
  readonly extraRuns: number;
  readonly holds?: Holds;
}

export interface SessionToCommit {
  readonly tenantId: string;
  /** The session's record, without its proposals' outcomes (the commit adds them). */
  readonly record: Omit<PlannerSessionInput, 'proposals'>;
  readonly drafts: readonly ProposalDraft[];
  /** Whether to decide the drafts (a completed session) or record them as not applied. */
  readonly apply: boolean;
  /** The analysed response's causation chain: proposals for other endpoints continue it. */
  readonly cascade?: CascadeContext;
  readonly metadata: EventMetadata;
}

export interface CommittedSession {
  readonly proposals: readonly SessionProposal[];
  /** Extra runs granted per job (the job budget's use). */
  readonly extraRuns: ReadonlyMap<string, number>;
  readonly duplicate: boolean;
}

/**
 * Decides a session's proposals with the arbiter and appends their outcomes and the session's
 * record in one atomic append: a crash before it leaves nothing, after it everything. Every
 * target's append expects the version its proposals were decided on; when another writer moved
 * one first, every target is read again and the proposals decided again (never dropped). The
 * appends carry `plan:<sessionId>` and `session:<sessionId>` keys, so a session committed twice
 * (two planners after a takeover) has no second effect.
 */
export async function commitSession(
  deps: CommitDeps,
  session: SessionToCommit,
): Promise<CommittedSession> {
  const { sessionId, endpointId } = session.record;
  const proposals: Proposal[] = session.drafts.map((draft, i) => ({
    id: `${sessionId}.${i + 1}`,
    source: 'planner',
    sourceId: sessionId,
    fromEndpointId: endpointId,
    reason: draft.reason,
    basedOnPosition: session.record.basedOnPosition,
    action: draft.action,
    ...(session.cascade && draft.targetEndpointId !== endpointId
      ? { cascade: session.cascade }
      : {}),
  }));
  const attempts = deps.attempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    const decided = session.apply
      ? await decideAll(deps, session, proposals)
      : {
          outcomes: session.drafts.map((d, i) => notApplied(proposals[i]?.id ?? '', d)),
          requests: [],
          extraRuns: new Map<string, number>(),
        };
    const record = makeEvent(
      'PlannerSessionRecorded',
      { ...session.record, proposals: decided.outcomes },
      session.metadata,
    );
    try {
      const results = await deps.store.appendMany([
        ...decided.requests,
        {
          streamId: plannerStream(session.tenantId, endpointId),
          expectedVersion: 'any',
          events: [record],
          idempotencyKey: `session:${sessionId}`,
        },
      ]);
      return {
        proposals: decided.outcomes,
        extraRuns: decided.extraRuns,
        duplicate: results.at(-1)?.duplicate ?? false,
      };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= attempts) throw error;
    }
  }
}

const notApplied = (proposalId: string, draft: ProposalDraft): SessionProposal => ({
  proposalId,
  targetEndpointId: draft.targetEndpointId,
  kind: draft.action.kind,
  outcome: 'not_applied',
});

async function decideAll(
  deps: CommitDeps,
  session: SessionToCommit,
  proposals: readonly Proposal[],
) {
  const now = deps.now();
  const targets = new Map<
    string,
    { before: EndpointState; state: EndpointState; events: DomainEvent[] }
  >();
  const jobs = new Map<string, JobInputs>();
  const extraRuns = new Map<string, number>();
  const outcomes: SessionProposal[] = [];
  for (const [i, proposal] of proposals.entries()) {
    const draft = session.drafts[i];
    if (!draft) continue;
    const id = draft.targetEndpointId;
    let target = targets.get(id);
    if (!target) {
      const state = await deps.state(id);
      target = { before: state, state, events: [] };
      targets.set(id, target);
    }
    const job =
      jobs.get(target.state.jobId) ??
      (target.state.status === 'active'
        ? await deps.job(target.state.jobId)
        : { policy: defaultArbiterPolicy, extraRuns: 0 });
    jobs.set(target.state.jobId, job);
    const decided = endpointDecider.decide(
      {
        type: 'Propose',
        proposal,
        policy: job.policy,
        jobExtraRuns: job.extraRuns + (extraRuns.get(target.state.jobId) ?? 0),
        ...(job.holds ? { holds: job.holds } : {}),
      },
      target.state,
      { now, metadata: session.metadata },
    );
    if (!decided.ok) {
      // No stream to record a refusal on (the target is gone): the session's record says so.
      outcomes.push({
        proposalId: proposal.id,
        targetEndpointId: id,
        kind: proposal.action.kind,
        outcome: 'rejected',
        rule: decided.error.code,
        detail: decided.error.message,
      });
      continue;
    }
    for (const event of decided.value) {
      target.state = endpointDecider.evolve(target.state, event);
      target.events.push(event);
    }
    const refused = decided.value.find((e) => e.type === 'HintRejected');
    const granted = decided.value.find((e) => e.type === 'HintProposed');
    if (granted?.type === 'HintProposed' && granted.data.extraRuns) {
      const jobId = target.state.jobId;
      extraRuns.set(jobId, (extraRuns.get(jobId) ?? 0) + granted.data.extraRuns);
    }
    outcomes.push({
      proposalId: proposal.id,
      targetEndpointId: id,
      kind: proposal.action.kind,
      outcome: refused ? 'rejected' : 'accepted',
      ...(refused?.type === 'HintRejected'
        ? { rule: refused.data.rule, detail: refused.data.detail.slice(0, 2000) }
        : {}),
    });
  }
  const requests: AppendRequest[] = [...targets.entries()]
    .filter(([, t]) => t.events.length > 0)
    .map(([id, t]) => {
      const hold = jobs.get(t.before.jobId)?.holds?.job;
      return {
        streamId: endpointStream(session.tenantId, id),
        expectedVersion: t.before.version,
        events: t.events,
        idempotencyKey: `plan:${session.record.sessionId}`,
        // Decided under the job's state as read: appended only if the job has not moved since.
        ...(hold
          ? {
              conditions: [
                { streamId: jobStream(session.tenantId, hold.jobId), version: hold.version },
              ],
            }
          : {}),
      };
    });
  return { outcomes, requests, extraRuns };
}
