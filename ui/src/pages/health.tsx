import type { BackupsStatus, Entity, HealthReport } from '../api/types';
import { useApi } from '../lib/use-api';
import { componentWords, healthSentence } from './health-sentence';
import { ErrorNote, Loading, PageHead, StatusDot } from '../components/ui';
import { duration } from '../lib/format';
import { useEffect, useState } from 'preact/hooks';
import { HistoryCharts } from './health-charts';
import { HealthLogs } from './health-logs';
import { HealthBackups } from './health-backups';
import { isOwner, useSession } from '../lib/session';

/**
 * Health in one sentence first (all good, or the worst problem in words; devices online; the
 * last backup), the components under "technical details"; refreshed every 10 s; charts below.
 */
export function HealthPage() {
  const res = useHealth();
  const session = useSession();
  const owner = isOwner(session.me.role);
  const entities = useApi<{ entities: Entity[] }>('/entities');
  const backups = useApi<BackupsStatus>(owner ? '/backups' : null);
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
            <p class="big health-sentence">
              <StatusDot status={h.status} /> {healthSentence(h, entities.data?.entities, owner ? backups.data : undefined)}
            </p>
          </section>
          <details class="technical">
            <summary>Technical details</summary>
            <p class="muted">
              Version {h.version} · up {duration(h.uptime_s)} · cloud link {link ? `${link.status} — ${link.detail}` : 'not configured'}
            </p>
            <ul class="components">
              {Object.entries(h.components).map(([name, c]) => (
                <li key={name} class="card compact">
                  <div class="row spread">
                    <strong>
                      <StatusDot status={c.status} /> {componentWords(name)} <small class="muted">({name})</small>
                    </strong>
                    <span class={`tag st-${c.status}`}>{c.status}</span>
                  </div>
                  <p class="muted small">{c.detail}</p>
                </li>
              ))}
            </ul>
          </details>
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
