import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { useEffect, useState } from 'preact/hooks';
import { api, clock, ok, type S } from '../api.js';
import { useAsync } from '../use-async.js';

type Graph = S<'Graph'>;
type Edge = Graph['edges'][number];
const NODE_W = 190;
const NODE_H = 58;

/** What an edge's live state says, in words (the same text labels it in the drawing). */
export function edgeStateText(edge: Edge): string {
  const parts: string[] = [edge.mode];
  if (edge.state.gate) parts.push(`gate ${edge.state.gate}`);
  if (edge.state.breaker) parts.push(`breaker ${edge.state.breaker}`);
  if (edge.mode === 'trigger' && edge.state.waiting > 0)
    parts.push(`${edge.state.waiting} waiting`);
  return parts.join(' · ');
}

const lastSatisfied = (edge: Edge) =>
  edge.state.lastSatisfied
    ? `${edge.state.lastSatisfied.status ?? '—'} at ${clock(edge.state.lastSatisfied.respondedAt)}`
    : 'none yet';

interface Layout {
  width: number;
  height: number;
  nodes: { id: string; x: number; y: number }[];
  edges: { id: string; points: { x: number; y: number }[] }[];
}

/** Lays the graph out left to right with elkjs (loaded on demand: it is the largest chunk). */
async function layout(graph: Graph): Promise<Layout> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const edges: ElkExtendedEdge[] = graph.edges.map((e) => ({
    id: e.edgeId,
    sources: [e.upstreamEndpointId],
    targets: [e.downstreamEndpointId],
  }));
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '28',
      'elk.layered.spacing.nodeNodeBetweenLayers': '90',
      'elk.edgeRouting': 'ORTHOGONAL',
    },
    children: graph.nodes.map((n) => ({ id: n.endpointId, width: NODE_W, height: NODE_H })),
    edges,
  };
  const out = await elk.layout(root);
  return {
    width: (out.width ?? 0) + 20,
    height: (out.height ?? 0) + 20,
    nodes: (out.children ?? []).map((c) => ({ id: c.id, x: c.x ?? 0, y: c.y ?? 0 })),
    edges: (out.edges ?? []).map((e) => {
      const section = e.sections?.[0];
      const points = section
        ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]
        : [];
      return { id: e.id, points };
    }),
  };
}

/** The dependency graph of a job or of the whole tenant, with each edge's live state. */
export function GraphView({ at }: { at: string | undefined }) {
  const [job, setJob] = useState('');
  const jobs = useAsync(() => ok(api.GET('/v1/jobs', { params: { query: { limit: 100 } } })), []);
  const graph = useAsync(
    () =>
      ok(
        api.GET('/v1/graph', {
          params: { query: { ...(job ? { job } : {}), ...(at ? { at } : {}) } },
        }),
      ),
    [job, at],
    at === undefined ? 5_000 : undefined,
  );
  const [drawn, setDrawn] = useState<Layout>();
  const value = graph.value;
  useEffect(() => {
    if (!value) return;
    let live = true;
    void layout(value).then((l) => live && setDrawn(l));
    return () => {
      live = false;
    };
  }, [value]);
  const nodeOf = new Map(value?.nodes.map((n) => [n.endpointId, n]));
  const edgeOf = new Map(value?.edges.map((e) => [e.edgeId, e]));
  return (
    <section aria-labelledby="graph-title">
      <h1 id="graph-title">Dependency graph{at ? ` as of ${at}` : ''}</h1>
      <div class="row">
        <label for="graph-job">Job</label>
        <select id="graph-job" value={job} onChange={(e) => setJob(e.currentTarget.value)}>
          <option value="">Whole tenant</option>
          {jobs.value?.items.map((j) => (
            <option key={j.id} value={j.id}>
              {j.name || j.id}
            </option>
          ))}
        </select>
      </div>
      {graph.error && <p class="error">{graph.error.message}</p>}
      {value && value.nodes.length === 0 && <p>No endpoints here{at ? ' at that point' : ''}.</p>}
      {drawn && value && value.nodes.length > 0 && (
        <div class="card scroll graph">
          <svg
            width={drawn.width}
            height={drawn.height}
            viewBox={`-10 -10 ${drawn.width} ${drawn.height}`}
            role="group"
            aria-label={`Graph of ${value.nodes.length} endpoints and ${value.edges.length} edges (listed below)`}
          >
            <defs>
              <marker
                id="arrow"
                viewBox="0 0 10 10"
                refX="9"
                refY="5"
                markerWidth="7"
                markerHeight="7"
                orient="auto"
              >
                <path d="M0,0 L10,5 L0,10 z" fill="#57606a" />
              </marker>
            </defs>
            {drawn.edges.map((e) => {
              const edge = edgeOf.get(e.id);
              const mid = e.points[Math.floor(e.points.length / 2)] ?? { x: 0, y: 0 };
              const closed = edge?.state.gate === 'closed' || edge?.state.breaker === 'open';
              return (
                <g key={e.id} class={closed ? 'edge held' : 'edge'}>
                  <polyline
                    points={e.points.map((p) => `${p.x},${p.y}`).join(' ')}
                    marker-end="url(#arrow)"
                  />
                  {edge && (
                    <text x={mid.x + 4} y={mid.y - 6}>
                      {edge.name}: {edgeStateText(edge)}
                    </text>
                  )}
                </g>
              );
            })}
            {drawn.nodes.map((n) => {
              const node = nodeOf.get(n.id);
              return (
                <a
                  key={n.id}
                  href={`#/endpoint/${encodeURIComponent(n.id)}`}
                  class={node?.inJob === false ? 'node other' : 'node'}
                >
                  <rect x={n.x} y={n.y} width={NODE_W} height={NODE_H} rx="6" />
                  <text x={n.x + 10} y={n.y + 22} class="name">
                    {node?.name ?? n.id}
                  </text>
                  <text x={n.x + 10} y={n.y + 42} class="sub">
                    {node?.jobId} · {node?.baseline}
                    {node?.status === 'archived' ? ' · archived' : ''}
                  </text>
                </a>
              );
            })}
          </svg>
        </div>
      )}
      {value && value.edges.length > 0 && (
        <div class="scroll">
          <table>
            <caption>Edges and their live state</caption>
            <thead>
              <tr>
                <th scope="col">Edge</th>
                <th scope="col">Upstream → downstream</th>
                <th scope="col">Condition</th>
                <th scope="col">State</th>
                <th scope="col">Last satisfying response</th>
              </tr>
            </thead>
            <tbody>
              {value.edges.map((e) => (
                <tr key={e.edgeId}>
                  <th scope="row">{e.name}</th>
                  <td>
                    {e.upstreamEndpointId} → {e.downstreamEndpointId}
                  </td>
                  <td>
                    <code>{e.condition}</code>
                  </td>
                  <td>{edgeStateText(e)}</td>
                  <td>{lastSatisfied(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
