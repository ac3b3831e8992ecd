import type { HealthReport } from '../api/types';
import { ErrorNote, Loading, PageHead, StatusDot } from '../components/ui';
import { duration } from '../lib/format';
import { useEffect, useState } from 'preact/hooks';
import { HistoryCharts } from './health-charts';
import { HealthLogs } from './health-logs';
import { HealthBackups } from './health-backups';
import { isOwner, useSession } from '../lib/session';

/** The hub's components with status and detail, refreshed every 10 s; charts when the hub keeps history. */
export function HealthPage() {
  const res = useHealth();
  const session = useSession();
  const h = res.data;
  const link = h?.components.link;
  return (
    <>
      <PageHead title="Health" />
      <ErrorNote error={h ? undefined : res.error} />
      {!h && !res.error ? <Loading /> : null}
      {h ? (
        <>
          <section class="card summary" aria-live="polite">
            <p class="big">
              <StatusDot status={h.status} /> Hub {h.status}
            </p>
            <p class="muted">
              Version {h.version} · up {duration(h.uptime_s)}
            </p>
            <p>
              Cloud link: <StatusDot status={link?.status ?? 'disabled'} /> {link ? `${link.status} — ${link.detail}` : 'not configured'}
            </p>
          </section>
          <section aria-labelledby="components-title">
            <h2 id="components-title">Components</h2>
            <ul class="components">
              {Object.entries(h.components).map(([name, c]) => (
                <li key={name} class="card compact">
                  <div class="row spread">
                    <strong>
                      <StatusDot status={c.status} /> {name}
                    </strong>
                    <span class={`tag st-${c.status}`}>{c.status}</span>
                  </div>
                  <p class="muted small">{c.detail}</p>
                </li>
              ))}
            </ul>
          </section>
        </>
      ) : null}
      <HistoryCharts />
      {isOwner(session.me.role) ? <HealthBackups /> : null}
      {isOwner(session.me.role) ? <HealthLogs /> : null}
    </>
  );
}

/** GET /health answers 503 with a full report when the hub is down or starting: read it either way. */
function useHealth(): { data?: HealthReport; error?: unknown } {
  const [state, setState] = useState<{ data?: HealthReport; error?: unknown }>({});
  useEffect(() => {
    const load = () =>
      fetch('/api/v1/health')
        .then(async (r) => setState({ data: (await r.json()) as HealthReport }))
        .catch(() => setState((s) => ({ ...s, error: new Error('The hub did not answer.') })));
    void load();
    const t = setInterval(load, 10_000);
    return () => clearInterval(t);
  }, []);
  return state;
}
