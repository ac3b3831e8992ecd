import type { AuditEntry, Entity, Settings } from '../../api/types';
import { ErrorNote, Loading, PageHead, StatusDot } from '../../components/ui';
import { auditSentence } from '../../lib/audit-words';
import { isDemo, listOf, sourceWords } from '../../lib/devices';
import { ago, clock, dateTime } from '../../lib/format';
import { useNames } from '../../lib/names';
import { isOwner, mayAudit, useSession } from '../../lib/session';
import { useApi, useTick } from '../../lib/use-api';
import { useFavourites } from '../../lib/devices';
import { EntityCard } from '../home/entity-card';
import { shortName, stateText } from '../home/controls';
import { EditDevice } from './edit-device';
import { roomsOf, useLiveEntities } from './devices';
import { StateChart, type HistoryRow } from './state-chart';

/** One device: its control, what it is, its history as a chart, and its recent audit lines. */
export function DeviceDetail({ id }: { id: string }) {
  const { me } = useSession();
  const owner = isOwner(me.role);
  const all = useLiveEntities();
  const entity = listOf(all.data).find((e) => e.id === id);
  const fav = useFavourites(me.id);
  const history = useApi<{ history: HistoryRow[] }>(`/entities/${encodeURIComponent(id)}/history?limit=200`);
  const audit = useApi<{ entries: AuditEntry[] }>(mayAudit(me.role) ? `/audit?entity=${encodeURIComponent(id)}&limit=15` : null);
  const settings = useApi<Settings>(owner ? '/settings' : null);
  const names = useNames();
  const now = useTick(30_000);

  if (all.loading && !all.data) return <Loading what="Loading the device" />;
  if (!entity)
    return (
      <>
        <PageHead title="Device not found" />
        <p>
          There is no device <code>{id}</code> now. It may have been removed. <a href="/devices">All devices</a>
        </p>
      </>
    );
  return (
    <>
      <PageHead title={shortName(entity)}>
        <button type="button" aria-pressed={fav.has(id)} onClick={() => fav.toggle(id)}>
          {fav.has(id) ? '★ Favourite' : '☆ Add to favourites'}
        </button>
      </PageHead>
      <p class="muted">
        <a href="/devices">All devices</a>
      </p>
      <ul class="entities single">
        <EntityCard entity={entity} />
      </ul>
      <dl class="facts card">
        <dt>Room</dt>
        <dd>{entity.area ?? 'No room'}</dd>
        <dt>Comes from</dt>
        <dd>
          {sourceWords(entity)}
          {isDemo(entity) ? ' (a simulated device of the demo home)' : ''}
          {entity.device?.manufacturer ? ` · ${entity.device.manufacturer}` : ''}
          {entity.device?.model ? ` ${entity.device.model}` : ''}
        </dd>
        <dt>Now</dt>
        <dd>
          <StatusDot status={entity.available ? 'ok' : 'down'} /> {entity.available ? 'Online' : 'Offline'} · {stateText(entity)}
        </dd>
        <dt>Last heard</dt>
        <dd title={dateTime(entity.last_updated)}>
          {ago(entity.last_updated, now)} ({clock(entity.last_updated)})
        </dd>
        <dt>Id</dt>
        <dd>
          <code>{entity.id}</code>
        </dd>
      </dl>
      <section aria-labelledby="hist-title">
        <h2 id="hist-title">History</h2>
        <ErrorNote error={history.error} />
        {history.data ? <StateChart entity={entity} rows={history.data.history} /> : <Loading what="Loading its history" />}
      </section>
      {mayAudit(me.role) ? (
        <section aria-labelledby="audit-title">
          <h2 id="audit-title">What people did with it</h2>
          <ErrorNote error={audit.error} />
          {audit.data && audit.data.entries.length === 0 ? <p class="muted">Nothing yet.</p> : null}
          <ol class="timeline">
            {(audit.data?.entries ?? []).map((e) => (
              <li key={e.seq}>
                <time dateTime={e.at}>{clock(e.at)}</time> {auditSentence(e, names)}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
      {owner ? (
        <section aria-labelledby="edit-title">
          <h2 id="edit-title">Name, room and risk</h2>
          <div class="card">
            <EditDevice
              key={`${entity.id}-${settings.data ? 's' : ''}`}
              entity={entity}
              rooms={roomsOf(listOf(all.data))}
              settings={settings.data}
              onSaved={(next: Entity) => {
                all.set((d) => listOf(d).map((x) => (x.id === next.id ? next : x)));
                void settings.reload();
                void audit.reload();
              }}
            />
          </div>
        </section>
      ) : null}
    </>
  );
}
