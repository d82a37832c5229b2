import { useState } from 'preact/hooks';
import { api, clock, ok } from '../api.js';
import { useAsync } from '../use-async.js';

/** Planner sessions, newest first; one opens with its reasoning and each proposal's outcome. */
export function PlannerView() {
  const sessions = useAsync(
    () => ok(api.GET('/v1/planner/sessions', { params: { query: { limit: 50 } } })),
    [],
    5_000,
  );
  const [openId, setOpenId] = useState<string>();
  return (
    <section aria-labelledby="planner-title">
      <h1 id="planner-title">Planner sessions</h1>
      {sessions.error && <p class="error">{sessions.error.message}</p>}
      {sessions.value?.items.length === 0 && <p>No planner sessions yet.</p>}
      <ul class="sessions">
        {sessions.value?.items.map((s) => (
          <li key={s.sessionId} class="card">
            <button
              type="button"
              class="link"
              aria-expanded={openId === s.sessionId}
              onClick={() => setOpenId(openId === s.sessionId ? undefined : s.sessionId)}
            >
              {clock(s.recordedAt)} · {s.endpointId} · {s.planner} · {s.outcome} · {s.accepted}{' '}
              accepted, {s.rejected} refused
            </button>
            {openId === s.sessionId && <Session sessionId={s.sessionId} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Session({ sessionId }: { sessionId: string }) {
  const session = useAsync(
    () => ok(api.GET('/v1/planner/sessions/{sessionId}', { params: { path: { sessionId } } })),
    [sessionId],
  );
  const s = session.value;
  if (session.error) return <p class="error">{session.error.message}</p>;
  if (!s) return <p>Loading…</p>;
  return (
    <div>
      <h2 class="h3">Reasoning</h2>
      <p class="reasoning">{s.reasoning || 'none recorded'}</p>
      <h2 class="h3">Proposals</h2>
      {s.proposals.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul>
          {s.proposals.map((p) => (
            <li key={p.proposalId}>
              {p.kind} for {p.targetEndpointId}: {p.outcome}
              {p.rule ? ` (${p.rule}: ${p.detail ?? ''})` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
