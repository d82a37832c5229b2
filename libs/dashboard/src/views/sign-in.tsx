import { useState } from 'preact/hooks';
import { api, ApiError, ok, session } from '../api.js';

/** Asks for an API key, checks it against /v1/jobs, and keeps it in sessionStorage. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    session.signIn(key.trim());
    try {
      await ok(api.GET('/v1/jobs', { params: { query: { limit: 1 } } }));
      onSignedIn();
    } catch (e) {
      session.signOut();
      setError(
        e instanceof ApiError && e.status === 401 ? 'That key was not accepted.' : String(e),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>Orrery</h1>
      <form onSubmit={submit} aria-describedby="key-help">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <p id="key-help" class="help">
          A tenant key (<code>ork_…</code>; <code>npm start</code> prints one and saves it in{' '}
          <code>.orrery/api-key</code>). It is kept for this tab only, never in the address.
        </p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
