import { ApiError } from '../api/client';
import type { HealthHistory } from '../api/types';
import { useApi } from '../lib/use-api';
import { clock } from '../lib/format';

type Sample = HealthHistory['samples'][number];
const SERIES: Array<{ key: keyof Sample & string; label: string; unit: string; max?: number }> = [
  { key: 'cpu_pct', label: 'CPU', unit: '%', max: 100 },
  { key: 'mem_pct', label: 'Memory', unit: '%', max: 100 },
  { key: 'disk_pct', label: 'Disk', unit: '%', max: 100 },
  { key: 'temp_c', label: 'Temperature', unit: '°C' },
];

/** CPU, memory, disk and temperature over the last day, as small SVG line charts. */
export function HistoryCharts() {
  const res = useApi<HealthHistory>('/health/history?hours=24');
  if (res.error instanceof ApiError && res.error.status === 404) {
    return <p class="muted">This hub does not keep a history of CPU, memory and disk yet.</p>;
  }
  const samples = res.data?.samples ?? [];
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">The last day</h2>
      {res.error ? <p class="muted">History unavailable: {res.error.message}</p> : null}
      {res.data && samples.length === 0 ? <p class="muted">No samples yet; the hub takes one a minute.</p> : null}
      {samples.length > 0 ? (
        <div class="charts">
          {SERIES.map((s) => (
            <Chart key={s.key} samples={samples} series={s} />
          ))}
        </div>
      ) : null}
    </section>
  );
}

function Chart({ samples, series }: { samples: Sample[]; series: (typeof SERIES)[number] }) {
  const points = samples
    .map((x) => [Date.parse(x.at), x[series.key] as number | null] as const)
    .filter((p): p is readonly [number, number] => typeof p[1] === 'number');
  if (points.length === 0) return null;
  const W = 300;
  const H = 80;
  const t0 = points[0]![0];
  const t1 = Math.max(points[points.length - 1]![0], t0 + 1);
  const values = points.map((p) => p[1]);
  const lo = series.max ? 0 : Math.floor(Math.min(...values) - 1);
  const hi = series.max ?? Math.ceil(Math.max(...values) + 1);
  const d = points
    .map(([t, v], i) => `${i ? 'L' : 'M'}${(((t - t0) / (t1 - t0)) * W).toFixed(1)} ${(H - ((v - lo) / (hi - lo || 1)) * H).toFixed(1)}`)
    .join('');
  const last = values[values.length - 1]!;
  return (
    <figure class="card chart">
      <figcaption>
        {series.label} ({series.unit}):{' '}
        <strong>
          {Math.round(last * 10) / 10}
          {series.unit}
        </strong>{' '}
        now
      </figcaption>
      <div class="plot">
        <div class="y-axis muted small" aria-hidden="true">
          <span>
            {hi}
            {series.unit}
          </span>
          <span>
            {Math.round(((hi + lo) / 2) * 10) / 10}
            {series.unit}
          </span>
          <span>
            {lo}
            {series.unit}
          </span>
        </div>
        <svg
          viewBox={`0 0 ${W} ${H}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`${series.label} in ${series.unit} from ${clock(new Date(t0).toISOString())}, now ${last}${series.unit}; lowest ${Math.min(...values)}, highest ${Math.max(...values)}`}
        >
          {[0, 0.5, 1].map((f) => (
            <line key={f} x1="0" x2={W} y1={H * f} y2={H * f} class="gridline" vector-effect="non-scaling-stroke" />
          ))}
          <path d={d} fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke" />
          {points.length === 1 ? <circle cx={W} cy={H - ((last - lo) / (hi - lo || 1)) * H} r="3" fill="currentColor" /> : null}
        </svg>
      </div>
      <div class="x-axis muted small">
        <span>{clock(new Date(t0).toISOString())}</span>
        <span>{clock(new Date((t0 + t1) / 2).toISOString())}</span>
        <span>{clock(new Date(t1).toISOString())}</span>
      </div>
    </figure>
  );
}
