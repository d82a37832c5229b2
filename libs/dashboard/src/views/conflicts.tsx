import { useState } from 'preact/hooks';
import type { paths } from '@orrery/api-client';
import { api, clock, ok, type S } from '../api.js';
import { useAsync } from '../use-async.js';

type Rule = NonNullable<NonNullable<paths['/v1/conflicts']['get']['parameters']['query']>['rule']>;
const RULES: readonly (Rule | '')[] = [
  '',
  'ownership',
  'cascade_safety',
  'stale',
  'pause_wins',
  'precedence',
  'anti_thrash',
  'budget',
  'invalid',
  'noop',
];

/** Refused proposals, newest first, by rule; one opens with what it asked, met and lost to. */
export function ConflictsView() {
  const [rule, setRule] = useState<Rule | ''>('');
  const conflicts = useAsync(
    () =>
      ok(
        api.GET('/v1/conflicts', { params: { query: { limit: 100, ...(rule ? { rule } : {}) } } }),
      ),
    [rule],
    5_000,
  );
  const [open, setOpen] = useState<S<'Conflict'>>();
  return (
    <section aria-labelledby="conflicts-title">
      <h1 id="conflicts-title">Conflicts</h1>
      <div class="row">
        <label for="conflict-rule">Rule</label>
        <select
          id="conflict-rule"
          value={rule}
          onChange={(e) => setRule(e.currentTarget.value as Rule | '')}
        >
          {RULES.map((r) => (
            <option key={r} value={r}>
              {r || 'every rule'}
            </option>
          ))}
        </select>
      </div>
      {conflicts.error && <p class="error">{conflicts.error.message}</p>}
      {conflicts.value?.items.length === 0 && (
        <p>No refused proposals{rule ? ` by ${rule}` : ''}.</p>
      )}
      {conflicts.value && conflicts.value.items.length > 0 && (
        <div class="scroll">
          <table>
            <caption class="sr-only">Refused proposals, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Rule</th>
                <th scope="col">Proposal</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {conflicts.value.items.map((c) => (
                <tr key={c.proposalId}>
                  <td>
                    <button
                      type="button"
                      class="link"
                      onClick={() => setOpen(c)}
                      aria-label={`Open conflict ${c.rule} on ${c.target.endpointId} at ${clock(c.recordedAt)}`}
                    >
                      {clock(c.recordedAt)}
                    </button>
                  </td>
                  <td>{c.target.endpointId}</td>
                  <td>
                    <span class="badge rule">{c.rule}</span>
                  </td>
                  <td>
                    {c.kind} by {c.source}
                  </td>
                  <td>{c.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && <ConflictDetail conflict={open} onClose={() => setOpen(undefined)} />}
    </section>
  );
}

function ConflictDetail({
  conflict: c,
  onClose,
}: {
  conflict: S<'Conflict'>;
  onClose: () => void;
}) {
  return (
    <dialog
      open
      class="card detail"
      aria-labelledby="conflict-title"
      ref={(el) => el?.querySelector<HTMLButtonElement>('button')?.focus()}
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
    >
      <h2 id="conflict-title">
        Refused by {c.rule}: {c.kind} for {c.target.endpointId}
      </h2>
      <button type="button" onClick={onClose}>
        Close
      </button>
      <dl class="facts">
        <dt>Detail</dt>
        <dd>{c.detail}</dd>
        <dt>Proposed by</dt>
        <dd>
          {c.source} ({c.sourceId}){c.fromEndpointId ? `, from ${c.fromEndpointId}` : ''}
        </dd>
        <dt>Based on position</dt>
        <dd>{c.basedOnPosition ?? '—'}</dd>
        <dt>Recorded</dt>
        <dd>
          {c.recordedAt} (position {c.position})
        </dd>
      </dl>
      <h3>What was asked</h3>
      <pre>{JSON.stringify(c.requested, null, 2)}</pre>
      <h3>The state it met</h3>
      <pre>{JSON.stringify(c.stateMet, null, 2)}</pre>
      <h3>The decision that won</h3>
      <pre>{JSON.stringify(c.winner, null, 2)}</pre>
    </dialog>
  );
}
