import { useEffect, useState } from 'preact/hooks';
import { session } from './api.js';
import { useTail } from './tail.js';
import { ConflictsView } from './views/conflicts.js';
import { EndpointView } from './views/endpoint.js';
import { EventsView } from './views/events.js';
import { GraphView } from './views/graph.js';
import { JobsView } from './views/jobs.js';
import { PlannerView } from './views/planner.js';
import { SignIn } from './views/sign-in.js';
import { TimeTravel } from './views/time-travel.js';

const views = [
  ['jobs', 'Jobs'],
  ['graph', 'Graph'],
  ['conflicts', 'Conflicts'],
  ['planner', 'Planner'],
  ['events', 'Events'],
] as const;

/** The route is the URL's hash (`#/graph`, `#/endpoint/demo-orders`): it never holds the key. */
function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function App() {
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  const [at, setAt] = useState<string | undefined>();
  const route = useRoute();
  const tail = useTail(signedIn);
  const [view = 'jobs', id] = route;
  useEffect(() => {
    const title = views.find(([v]) => v === view)?.[1] ?? (view === 'endpoint' ? id : undefined);
    document.title = title ? `${title} · Orrery` : 'Orrery';
  }, [view, id]);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const signOut = () => {
    session.signOut();
    setSignedIn(false);
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <strong class="brand">Orrery</strong>
        <nav aria-label="Views">
          <ul>
            {views.map(([v, label]) => (
              <li key={v}>
                <a href={`#/${v}`} aria-current={view === v ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <TimeTravel at={at} onChange={setAt} />
        <button type="button" class="quiet" onClick={signOut}>
          Sign out
        </button>
      </header>
      {at !== undefined && (
        <p class="banner" role="status">
          Time travel: explain and the graph show the state as of <strong>{at}</strong>; actions are
          off.
        </p>
      )}
      <main id="main" tabIndex={-1}>
        {view === 'endpoint' && id ? (
          <EndpointView endpointId={decodeURIComponent(id)} at={at} tail={tail} />
        ) : view === 'graph' ? (
          <GraphView at={at} />
        ) : view === 'conflicts' ? (
          <ConflictsView />
        ) : view === 'planner' ? (
          <PlannerView />
        ) : view === 'events' ? (
          <EventsView tail={tail} />
        ) : (
          <JobsView at={at} />
        )}
      </main>
    </>
  );
}
