import { ApiError, session, type S } from './api.js';

/**
 * Follows `GET /v1/events/stream` with fetch (an EventSource cannot send the Authorization
 * header, and the key must not go in the URL). Calls `onEvent` for each event until `signal`
 * aborts; rejects with an {@link ApiError} when the stream is refused.
 */
export async function tailEvents(
  query: URLSearchParams,
  onEvent: (event: S<'Event'>) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(`/v1/events/stream?${query.toString()}`, {
    headers: { authorization: `Bearer ${session.key() ?? ''}`, accept: 'text/event-stream' },
    signal,
  });
  if (!response.ok || !response.body) {
    const problem = (await response.json().catch(() => ({}))) as { detail?: string };
    throw new ApiError(response.status, problem.detail ?? response.statusText);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice('data: '.length))
        .join('\n');
      if (data) onEvent(JSON.parse(data) as S<'Event'>);
    }
  }
}
