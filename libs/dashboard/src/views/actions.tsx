import { useState } from 'preact/hooks';
import { api, ApiError, ok, type S } from '../api.js';

type Endpoint = S<'Endpoint'>;

/** What an action answered, for the live region that announces it. */
export type Outcome = { ok: boolean; text: string } | undefined;

const refusalText = (e: unknown): string => {
  if (!(e instanceof ApiError)) return String(e);
  const refusal = e.problem['refusal'] as { rule?: string; detail?: string } | undefined;
  return refusal?.rule ? `Refused (${refusal.rule}): ${refusal.detail ?? e.message}` : e.message;
};

/** Runs an action and reports it: `done` on success, the problem's words on failure. */
export async function act(
  label: string,
  call: () => Promise<unknown>,
  report: (outcome: Outcome) => void,
): Promise<boolean> {
  try {
    await call();
    report({ ok: true, text: `${label}: done` });
    return true;
  } catch (e) {
    report({ ok: false, text: `${label}: ${refusalText(e)}` });
    return false;
  }
}

/** Pause / resume / run now for one endpoint (announced in the page's status line). */
export function EndpointActions({
  endpoint,
  disabled,
  onDone,
  report,
}: {
  endpoint: Endpoint;
  disabled?: boolean;
  onDone: () => void;
  report: (outcome: Outcome) => void;
}) {
  const [busy, setBusy] = useState(false);
  const path = { params: { path: { endpointId: endpoint.id } } };
  const name = endpoint.config.name || endpoint.id;
  const run = async (label: string, call: () => Promise<unknown>) => {
    setBusy(true);
    await act(`${label} ${name}`, call, report);
    setBusy(false);
    onDone();
  };
  const off = busy || disabled || endpoint.status === 'archived';
  return (
    <div class="actions">
      {endpoint.paused ? (
        <button
          type="button"
          disabled={off}
          aria-label={`Resume ${name}`}
          onClick={() =>
            run('Resume', () =>
              ok(api.POST('/v1/endpoints/{endpointId}/resume', { ...path, body: {} })),
            )
          }
        >
          Resume
        </button>
      ) : (
        <button
          type="button"
          disabled={off}
          aria-label={`Pause ${name}`}
          onClick={() =>
            run('Pause', () =>
              ok(
                api.POST('/v1/endpoints/{endpointId}/pause', {
                  ...path,
                  body: { until: null, reason: 'paused from the dashboard' },
                }),
              ),
            )
          }
        >
          Pause
        </button>
      )}
      <button
        type="button"
        disabled={off}
        aria-label={`Run now: ${name}`}
        onClick={() =>
          run('Run now', () =>
            ok(
              api.POST('/v1/endpoints/{endpointId}/run', {
                ...path,
                body: { reason: 'run from the dashboard' },
              }),
            ),
          )
        }
      >
        Run now
      </button>
    </div>
  );
}

/** A status line that screen readers announce. */
export function Status({ outcome }: { outcome: Outcome }) {
  return (
    <p role="status" class={outcome && !outcome.ok ? 'status error' : 'status'}>
      {outcome?.text ?? ''}
    </p>
  );
}
