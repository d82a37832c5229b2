import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { api, clock, ok, type S } from '../api.js';
import { bandsOf, runClass, type Band } from '../bands.js';
import { useAsync } from '../use-async.js';

const WINDOW_MS = 10 * 60_000;
const BAND_TYPES = 'Paused,Resumed,HintProposed,HintExpired,HintSuperseded,HintsCleared,RunSkipped';
const colors = { succeeded: '#1a7f37', failed: '#cf222e', pending: '#6e7781' } as const;
const bandColors: Record<Band['kind'], string> = {
  pause: 'rgba(154, 103, 0, 0.22)',
  hint: 'rgba(9, 105, 218, 0.16)',
  gate: 'rgba(130, 80, 223, 0.3)',
  skip: 'rgba(207, 34, 46, 0.3)',
};

/**
 * The endpoint's last ten minutes: each run a mark at its scheduled time, as high as it was
 * late, coloured by outcome; pauses, hints, closed gates and skips as bands behind them. The
 * same facts are listed as text below the chart.
 */
export function Timeline({ endpointId, refresh }: { endpointId: string; refresh: number }) {
  const data = useAsync(
    async () => {
      const from = new Date(Date.now() - WINDOW_MS).toISOString();
      const [runs, events] = await Promise.all([
        ok(
          api.GET('/v1/endpoints/{endpointId}/runs', {
            params: { path: { endpointId }, query: { limit: 200 } },
          }),
        ),
        ok(
          api.GET('/v1/events', {
            params: { query: { endpointId, type: BAND_TYPES as never, from, limit: 1000 } },
          }),
        ),
      ]);
      return {
        runs: runs.items.filter((r) => Date.parse(r.scheduledFor) >= Date.parse(from)),
        bands: bandsOf(events.items),
      };
    },
    [endpointId, refresh],
    3_000,
  );
  const runs = data.value?.runs ?? [];
  const bands = data.value?.bands ?? [];
  const counts = { succeeded: 0, failed: 0, pending: 0 };
  for (const run of runs) counts[runClass(run.outcome)]++;
  const late = runs.map((r) => r.latenessMs ?? 0).sort((a, b) => a - b);
  const median = late.length === 0 ? 0 : (late[Math.floor(late.length / 2)] ?? 0);
  return (
    <section aria-labelledby="timeline-title" class="card">
      <h2 id="timeline-title">Timeline (last 10 minutes)</h2>
      {data.error && <p class="error">{data.error.message}</p>}
      <Chart runs={runs} bands={bands} />
      <ul class="legend" aria-label="Legend">
        <li>
          <span class="swatch" style={{ background: colors.succeeded }} /> succeeded
        </li>
        <li>
          <span class="swatch" style={{ background: colors.failed }} /> failed
        </li>
        <li>
          <span class="swatch" style={{ background: colors.pending }} /> pending
        </li>
        <li>
          <span class="swatch" style={{ background: bandColors.pause }} /> paused
        </li>
        <li>
          <span class="swatch" style={{ background: bandColors.hint }} /> hint
        </li>
        <li>
          <span class="swatch" style={{ background: bandColors.gate }} /> gate closed / skipped
        </li>
      </ul>
      <p>
        {runs.length} runs: {counts.succeeded} succeeded, {counts.failed} failed, {counts.pending}{' '}
        pending; median lateness {median} ms.
      </p>
      <h3>Bands</h3>
      {bands.length === 0 ? (
        <p class="muted">No pauses, hints or skips in this window.</p>
      ) : (
        <ul class="bands" aria-label="Bands">
          {bands.map((band) => (
            <li key={`${band.kind}-${band.from}`} class={`band-${band.kind}`}>
              {band.label}: {clock(new Date(band.from).toISOString())} →{' '}
              {band.to === null ? 'now' : clock(new Date(band.to).toISOString())}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Chart({ runs, bands }: { runs: readonly S<'Run'>[]; bands: readonly Band[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const bandsRef = useRef(bands);
  bandsRef.current = bands;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const series = (label: keyof typeof colors): uPlot.Series => ({
      label,
      stroke: colors[label],
      paths: () => null,
      points: { show: true, size: 7, fill: colors[label], stroke: colors[label] },
    });
    const options: uPlot.Options = {
      width: el.clientWidth || 600,
      height: 220,
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [{}, { label: 'lateness (ms)', size: 60 }],
      series: [{}, series('succeeded'), series('failed'), series('pending')],
      hooks: {
        drawClear: [
          (u) => {
            const { ctx } = u;
            const top = u.bbox.top;
            const height = u.bbox.height;
            for (const band of bandsRef.current) {
              const x0 = u.valToPos(band.from / 1_000, 'x', true);
              const x1 = u.valToPos((band.to ?? Date.now()) / 1_000, 'x', true);
              const left = Math.max(u.bbox.left, x0);
              const right = Math.min(u.bbox.left + u.bbox.width, Math.max(x1, x0 + 2));
              if (right <= left) continue;
              ctx.fillStyle = bandColors[band.kind];
              ctx.fillRect(left, top, right - left, height);
            }
          },
        ],
      },
    };
    plot.current = new uPlot(options, [[], [], [], []], el);
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: el.clientWidth, height: 220 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    const now = Date.now();
    const sorted = [...runs].sort(
      (a, b) => Date.parse(a.scheduledFor) - Date.parse(b.scheduledFor),
    );
    const xs = sorted.map((r) => Date.parse(r.scheduledFor) / 1_000);
    const column = (c: string) =>
      sorted.map((r) => (runClass(r.outcome) === c ? (r.latenessMs ?? 0) : null));
    plot.current?.setData(
      [xs, column('succeeded'), column('failed'), column('pending')] as uPlot.AlignedData,
      false,
    );
    plot.current?.setScale('x', { min: (now - WINDOW_MS) / 1_000, max: now / 1_000 });
  }, [runs, bands]);
  return (
    <div
      ref={box}
      class="chart"
      role="img"
      aria-label={`Runs over the last 10 minutes by lateness and outcome, with ${bands.length} bands (listed below)`}
    />
  );
}
