import { useEffect, useState } from 'preact/hooks';
import type { S } from './api.js';
import { tailEvents } from './sse.js';

/** The /v1/events filters the tail passes on (empty ones are left out). */
export interface TailFilters {
  streamId: string;
  endpointId: string;
  jobId: string;
  /** Event types, comma-separated. */
  type: string;
  actorKind: string;
}

export interface Tail {
  readonly events: readonly S<'Event'>[];
  readonly filters: TailFilters;
  readonly status: 'connecting' | 'live' | 'error';
  readonly error: string | undefined;
  setFilters(filters: TailFilters): void;
}

const KEEP = 300;
const emptyFilters: TailFilters = {
  streamId: '',
  endpointId: '',
  jobId: '',
  type: '',
  actorKind: '',
};

/**
 * The live event tail, held by the app (not by the Events view) so that it keeps following
 * while the user acts elsewhere. Reconnects after `Last-Event-ID`-style `after` on an error.
 */
export function useTail(enabled: boolean): Tail {
  const [events, setEvents] = useState<S<'Event'>[]>([]);
  const [filters, setFilters] = useState<TailFilters>(emptyFilters);
  const [status, setStatus] = useState<Tail['status']>('connecting');
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!enabled) return;
    const stop = new AbortController();
    let last: number | undefined;
    setEvents([]);
    const follow = async () => {
      while (!stop.signal.aborted) {
        const query = new URLSearchParams();
        for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
        if (last !== undefined) query.set('after', String(last));
        setStatus('live');
        try {
          await tailEvents(
            query,
            (event) => {
              last = event.position;
              setEvents((all) => [event, ...all].slice(0, KEEP));
            },
            stop.signal,
          );
        } catch (e) {
          if (stop.signal.aborted) return;
          setStatus('error');
          setError(e instanceof Error ? e.message : String(e));
        }
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    };
    void follow();
    return () => stop.abort();
  }, [enabled, filters]);
  return { events, filters, status, error, setFilters };
}
