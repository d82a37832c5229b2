import { useState } from 'preact/hooks';

/**
 * Picks a point of the log (a position, or a local date and time) for explain and the graph.
 * Empty means now.
 */
export function TimeTravel({
  at,
  onChange,
}: {
  at: string | undefined;
  onChange: (at: string | undefined) => void;
}) {
  const [text, setText] = useState(at ?? '');
  const [error, setError] = useState<string>();
  const apply = (event: Event) => {
    event.preventDefault();
    const value = text.trim();
    if (value === '') return onChange(undefined);
    if (/^\d+$/.test(value)) {
      setError(undefined);
      return onChange(value);
    }
    const time = Date.parse(value);
    if (Number.isNaN(time)) return setError('a log position or a date and time');
    setError(undefined);
    onChange(new Date(time).toISOString());
  };
  return (
    <form class="travel" onSubmit={apply} role="search" aria-label="Time travel">
      <label for="as-of">As of</label>
      <input
        id="as-of"
        placeholder="now (position or time)"
        value={text}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'as-of-error' : undefined}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <button type="submit">Go</button>
      {at !== undefined && (
        <button
          type="button"
          class="quiet"
          onClick={() => {
            setText('');
            onChange(undefined);
          }}
        >
          Now
        </button>
      )}
      {error && (
        <span id="as-of-error" role="alert" class="error">
          {error}
        </span>
      )}
    </form>
  );
}
