import { useState } from 'preact/hooks';
import { api, clock, ok, relative, type S } from '../api.js';
import type { Tail } from '../tail.js';
import { useAsync } from '../use-async.js';
import { act, EndpointActions, Status, type Outcome } from './actions.js';
import { statusOf } from './jobs.js';
import { Timeline } from './timeline.js';

/** One endpoint: why it runs when it does (now or as of `at`), its actions and its timeline. */
export function EndpointView({
  endpointId,
  at,
  tail,
}: {
  endpointId: string;
  at: string | undefined;
  tail: Tail;
}) {
  const path = { path: { endpointId } };
  // Refresh when the tail brings one of this endpoint's events.
  const latest = tail.events.find((e) => e.streamId.endsWith(`.${endpointId}`))?.position ?? 0;
  const endpoint = useAsync(
    () => ok(api.GET('/v1/endpoints/{endpointId}', { params: path })),
    [endpointId, latest],
  );
  const explain = useAsync(
    () =>
      ok(
        api.GET('/v1/endpoints/{endpointId}/explain', {
          params: { ...path, query: { recent: 5, ...(at ? { at } : {}) } },
        }),
      ),
    [endpointId, at, latest],
  );
  const [outcome, setOutcome] = useState<Outcome>();
  const [refresh, setRefresh] = useState(0);
  const done = () => {
    endpoint.reload();
    explain.reload();
    setRefresh((n) => n + 1);
  };
  const e = endpoint.value;
  return (
    <section aria-labelledby="endpoint-title">
      <p>
        <a href="#/jobs">← Jobs</a>
      </p>
      <h1 id="endpoint-title">
        {e?.config.name || endpointId} <span class="muted">{endpointId}</span>
      </h1>
      {endpoint.error && <p class="error">{endpoint.error.message}</p>}
      {e && (
        <div class="card row">
          <span class={`badge ${statusOf(e).replace(' ', '-')}`}>{statusOf(e)}</span>
          <span>
            job <a href={`#/graph`}>{e.jobId}</a>
          </span>
          <EndpointActions
            endpoint={e}
            disabled={at !== undefined}
            onDone={done}
            report={setOutcome}
          />
        </div>
      )}
      <Status outcome={outcome} />
      <Explain explanation={explain.value} error={explain.error} at={at} />
      {e && at === undefined && <HintForm endpoint={e} onDone={done} report={setOutcome} />}
      <Timeline endpointId={endpointId} refresh={refresh + latest} />
    </section>
  );
}

function Explain({
  explanation: x,
  error,
  at,
}: {
  explanation: S<'Explanation'> | undefined;
  error: Error | undefined;
  at: string | undefined;
}) {
  return (
    <section aria-labelledby="explain-title" class="card">
      <h2 id="explain-title">Next run and why{at ? ` (as of ${at})` : ''}</h2>
      {error && <p class="error">{error.message}</p>}
      {x && (
        <>
          <dl class="facts">
            <dt>Next run</dt>
            <dd>
              {x.next.at ? (
                <>
                  <time dateTime={x.next.at}>{clock(x.next.at)}</time> (
                  {relative(x.next.at, Date.parse(x.asOf.time))})
                </>
              ) : (
                'not scheduled'
              )}
            </dd>
            <dt>Why</dt>
            <dd>{x.next.reason}</dd>
            <dt>As of</dt>
            <dd>
              position {x.asOf.position}, {clock(x.asOf.time)}
            </dd>
            <dt>Hints</dt>
            <dd>
              {x.hints.interval || x.hints.oneShot
                ? [x.hints.interval && 'interval', x.hints.oneShot && 'one-shot']
                    .filter(Boolean)
                    .join(', ')
                : 'none'}
            </dd>
            <dt>Incoming edges</dt>
            <dd>
              {x.dependencies.edges.length === 0
                ? 'none'
                : x.dependencies.edges.map((edge) => edge.edgeId).join(', ')}
            </dd>
          </dl>
          <details>
            <summary>Every input the governor used</summary>
            <pre>{JSON.stringify(x.inputs, null, 2)}</pre>
          </details>
        </>
      )}
    </section>
  );
}

/** An interval hint (with a TTL) or one run soon, proposed as the user, based on what is shown. */
function HintForm({
  endpoint,
  onDone,
  report,
}: {
  endpoint: S<'Endpoint'>;
  onDone: () => void;
  report: (outcome: Outcome) => void;
}) {
  const [kind, setKind] = useState<'interval' | 'oneShot'>('interval');
  const [seconds, setSeconds] = useState('10');
  const [minutes, setMinutes] = useState('5');
  const submit = async (event: Event) => {
    event.preventDefault();
    const ttlMs = Math.round(Number(minutes) * 60_000);
    const common = {
      ttlMs,
      reason: 'hint from the dashboard',
    };
    const body =
      kind === 'interval'
        ? { kind, intervalMs: Math.round(Number(seconds) * 1_000), ...common }
        : { kind, inMs: Math.round(Number(seconds) * 1_000), ...common };
    await act(
      `Hint for ${endpoint.config.name || endpoint.id}`,
      () =>
        ok(
          api.POST('/v1/endpoints/{endpointId}/hints', {
            params: { path: { endpointId: endpoint.id } },
            body: body as never,
          }),
        ),
      report,
    );
    onDone();
  };
  return (
    <form class="card hint" onSubmit={submit} aria-labelledby="hint-title">
      <h2 id="hint-title">Hint</h2>
      <fieldset>
        <legend>Kind</legend>
        <label>
          <input
            type="radio"
            name="kind"
            checked={kind === 'interval'}
            onChange={() => setKind('interval')}
          />{' '}
          run every…
        </label>
        <label>
          <input
            type="radio"
            name="kind"
            checked={kind === 'oneShot'}
            onChange={() => setKind('oneShot')}
          />{' '}
          run once in…
        </label>
      </fieldset>
      <label for="hint-seconds">Seconds</label>
      <input
        id="hint-seconds"
        type="number"
        min="0.1"
        step="0.1"
        required
        value={seconds}
        onInput={(e) => setSeconds(e.currentTarget.value)}
      />
      <label for="hint-ttl">For (minutes)</label>
      <input
        id="hint-ttl"
        type="number"
        min="0.1"
        step="0.1"
        required
        value={minutes}
        onInput={(e) => setMinutes(e.currentTarget.value)}
      />
      <button type="submit">Propose hint</button>
      <p class="help">
        Goes through the arbiter as a user proposal (a user outranks cascades and the planner); a
        refusal is shown here and listed under Conflicts.
      </p>
    </form>
  );
}
