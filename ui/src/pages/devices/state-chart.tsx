import type { Entity } from '../../api/types';
import { clock, dateTime } from '../../lib/format';
import { stateText } from '../home/controls';

export interface HistoryRow {
  state: string;
  attributes: Record<string, unknown>;
  available: boolean;
  at: string;
}

/**
 * A device's recent states. Numbers (a temperature, a power reading) as a line chart with its
 * axes and unit; anything else (locked/unlocked, on/off) as the changes, newest first.
 */
export function StateChart({ entity, rows }: { entity: Entity; rows: HistoryRow[] }) {
  if (rows.length === 0) return <p class="muted">No history yet: Hearth records each change from now on.</p>;
  const unit = typeof entity.attributes.unit_of_measurement === 'string' ? entity.attributes.unit_of_measurement : '';
  const points = rows
    .map((r) => [Date.parse(r.at), Number(r.state)] as const)
    .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v) && rows.length > 0)
    .reverse();
  if (entity.domain === 'sensor' && points.length >= 2) return <LineChart points={points} unit={unit} label={entity.name} />;
  return (
    <ol class="timeline">
      {rows.slice(0, 30).map((r) => (
        <li key={r.at}>
          <time dateTime={r.at} title={dateTime(r.at)}>
            {clock(r.at)}
          </time>{' '}
          {r.available ? stateText({ ...entity, state: r.state, attributes: { ...entity.attributes, ...r.attributes }, available: true }) : 'Offline'}
        </li>
      ))}
    </ol>
  );
}

function LineChart({ points, unit, label }: { points: ReadonlyArray<readonly [number, number]>; unit: string; label: string }) {
  const W = 600;
  const H = 180;
  const L = 48; // room for the value axis
  const B = 22; // room for the time axis
  const t0 = points[0]![0];
  const t1 = Math.max(points[points.length - 1]![0], t0 + 1);
  const values = points.map((p) => p[1]);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = (max - min) * 0.1 || 1;
  const lo = Math.floor((min - pad) * 10) / 10;
  const hi = Math.ceil((max + pad) * 10) / 10;
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - 4);
  const y = (v: number) => 4 + (1 - (v - lo) / (hi - lo)) * (H - B - 8);
  const d = points.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)} ${y(v).toFixed(1)}`).join('');
  const fmt = (v: number) => `${Math.round(v * 10) / 10}${unit ? ` ${unit}` : ''}`;
  const ticks = [lo, (lo + hi) / 2, hi];
  const times = [t0, (t0 + t1) / 2, t1];
  return (
    <figure class="card chart device-chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${label}: from ${fmt(points[0]![1])} at ${clock(new Date(t0).toISOString())} to ${fmt(values[values.length - 1]!)} at ${clock(new Date(t1).toISOString())}; lowest ${fmt(min)}, highest ${fmt(max)}`}
      >
        <line x1={L} y1={H - B} x2={W} y2={H - B} stroke="currentColor" opacity="0.3" />
        <line x1={L} y1={0} x2={L} y2={H - B} stroke="currentColor" opacity="0.3" />
        {ticks.map((v) => (
          <text key={v} x={L - 4} y={y(v) + 4} text-anchor="end" font-size="11" fill="currentColor" opacity="0.7">
            {fmt(v)}
          </text>
        ))}
        {times.map((t, i) => (
          <text key={t} x={x(t)} y={H - 6} text-anchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'} font-size="11" fill="currentColor" opacity="0.7">
            {clock(new Date(t).toISOString())}
          </text>
        ))}
        <path d={d} fill="none" stroke="currentColor" stroke-width="2" />
      </svg>
      <figcaption class="muted small">
        {label}, {unit ? `in ${unit}, ` : ''}over time (the time of day along the bottom)
      </figcaption>
    </figure>
  );
}
