import { useState } from 'preact/hooks';
import { clock } from '../api.js';
import type { Tail, TailFilters } from '../tail.js';

/** The live tail (SSE) with the /v1/events filters; it keeps following while you are elsewhere. */
export function EventsView({ tail }: { tail: Tail }) {
  const [draft, setDraft] = useState<TailFilters>(tail.filters);
  const field = (name: keyof TailFilters, label: string, placeholder: string) => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <input
        id={`filter-${name}`}
        value={draft[name]}
        placeholder={placeholder}
        onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })}
      />
    </div>
  );
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Live events</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          tail.setFilters(draft);
        }}
      >
        {field('endpointId', 'Endpoint', 'demo-orders')}
        {field('jobId', 'Job', 'demo-shop')}
        {field('streamId', 'Stream', 'endpoint-default.demo-orders')}
        {field('type', 'Types', 'Paused,Resumed')}
        <div class="field">
          <label for="filter-actorKind">Actor</label>
          <select
            id="filter-actorKind"
            value={draft.actorKind}
            onChange={(e) => setDraft({ ...draft, actorKind: e.currentTarget.value })}
          >
            <option value="">any</option>
            <option value="user">user</option>
            <option value="planner">planner</option>
            <option value="cascade">cascade</option>
            <option value="system">system</option>
          </select>
        </div>
        <button type="submit">Follow</button>
      </form>
      <p role="status" class="muted">
        {tail.status === 'error'
          ? `Reconnecting: ${tail.error ?? ''}`
          : `Following live; ${tail.events.length} events since the tail started.`}
      </p>
      <div class="scroll">
        <table class="events">
          <caption class="sr-only">Events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Position</th>
              <th scope="col">Time</th>
              <th scope="col">Type</th>
              <th scope="col">Stream</th>
              <th scope="col">Actor</th>
            </tr>
          </thead>
          <tbody>
            {tail.events.map((e) => (
              <tr key={e.position}>
                <td>{e.position}</td>
                <td>{clock(e.recordedAt)}</td>
                <td>{e.type}</td>
                <td>{e.streamId}</td>
                <td>
                  {e.metadata.actor.kind}:{e.metadata.actor.id}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
