import { useState } from 'preact/hooks';
import { api, ok, relative, type S } from '../api.js';
import { useAsync } from '../use-async.js';
import { EndpointActions, Status, type Outcome } from './actions.js';

type Endpoint = S<'Endpoint'>;

/** Every job of the tenant with its endpoints: status, next run and why, and the actions. */
export function JobsView({ at }: { at: string | undefined }) {
  const jobs = useAsync(
    async () => {
      const page = await ok(api.GET('/v1/jobs', { params: { query: { limit: 100 } } }));
      return Promise.all(
        page.items.map(async (job) => {
          const endpoints = await ok(
            api.GET('/v1/jobs/{jobId}/endpoints', {
              params: { path: { jobId: job.id }, query: { limit: 100 } },
            }),
          );
          return { job, endpoints: endpoints.items };
        }),
      );
    },
    [],
    3_000,
  );
  const [outcome, setOutcome] = useState<Outcome>();
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs and endpoints</h1>
      <Status outcome={outcome} />
      {jobs.error && <p class="error">{jobs.error.message}</p>}
      {jobs.value?.length === 0 && <p>No jobs yet.</p>}
      {jobs.value?.map(({ job, endpoints }) => (
        <section key={job.id} class="card" aria-labelledby={`job-${job.id}`}>
          <h2 id={`job-${job.id}`}>
            {job.name || job.id} <span class="muted">{job.id}</span>{' '}
            <span class={`badge ${job.paused ? 'paused' : job.status}`}>
              {job.paused ? 'paused' : job.status}
            </span>
          </h2>
          <div class="scroll">
            <table>
              <caption class="sr-only">Endpoints of {job.name || job.id}</caption>
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Status</th>
                  <th scope="col">Next run</th>
                  <th scope="col">Why</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {endpoints.map((endpoint) => (
                  <EndpointRow
                    key={endpoint.id}
                    endpoint={endpoint}
                    at={at}
                    onDone={jobs.reload}
                    report={setOutcome}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </section>
  );
}

/** The state an endpoint shows: archived, paused (its own or its job's), or active. */
export const statusOf = (endpoint: Endpoint): string =>
  endpoint.status === 'archived'
    ? 'archived'
    : endpoint.paused
      ? 'paused'
      : endpoint.job.paused
        ? 'job paused'
        : 'active';

function EndpointRow({
  endpoint,
  at,
  onDone,
  report,
}: {
  endpoint: Endpoint;
  at: string | undefined;
  onDone: () => void;
  report: (outcome: Outcome) => void;
}) {
  // As of an earlier point, the next run and why come from explain?at (a replay of the log).
  const past = useAsync(
    async () =>
      at === undefined
        ? undefined
        : ok(
            api.GET('/v1/endpoints/{endpointId}/explain', {
              params: { path: { endpointId: endpoint.id }, query: { at, recent: 0 } },
            }),
          ),
    [at, endpoint.id],
  );
  const next =
    at === undefined
      ? endpoint.schedule
      : past.value && { nextRunAt: past.value.next.at, reason: past.value.next.reason };
  const status = statusOf(endpoint);
  return (
    <tr>
      <th scope="row">
        <a href={`#/endpoint/${encodeURIComponent(endpoint.id)}`}>
          {endpoint.config.name || endpoint.id}
        </a>
        <div class="muted">{endpoint.id}</div>
      </th>
      <td>
        <span class={`badge ${status.replace(' ', '-')}`}>{status}</span>
      </td>
      <td>
        {past.error ? (
          <span class="muted">{past.error.message}</span>
        ) : (
          <time dateTime={next?.nextRunAt ?? undefined}>{relative(next?.nextRunAt)}</time>
        )}
      </td>
      <td>{next?.reason ?? '…'}</td>
      <td>
        <EndpointActions
          endpoint={endpoint}
          disabled={at !== undefined}
          onDone={onDone}
          report={report}
        />
      </td>
    </tr>
  );
}
