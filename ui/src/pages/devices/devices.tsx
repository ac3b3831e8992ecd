import { useMemo, useState } from 'preact/hooks';
import type { Entity, HubEvents, Settings } from '../../api/types';
import { useHubEvents } from '../../api/events';
import { ErrorNote, Loading, PageHead, StatusDot } from '../../components/ui';
import { ago } from '../../lib/format';
import { isDemo, listOf, replaceEntity, sourceWords, type EntityList } from '../../lib/devices';
import { navigate, useLocation } from '../../lib/router';
import { isOwner, useSession } from '../../lib/session';
import { useApi, useTick } from '../../lib/use-api';
import { shortName, stateText } from '../home/controls';
import { AddDevice } from './add-device';
import { DeviceDetail } from './device-detail';
import { EditDevice } from './edit-device';

/** /devices, /devices/add and /devices/<entity id>. */
export function DevicesRoute() {
  const { path } = useLocation();
  const rest = decodeURIComponent(path.slice('/devices'.length).replace(/^\//, ''));
  if (rest === 'add') return <AddDevice />;
  if (rest) return <DeviceDetail id={rest} />;
  return <DevicesPage />;
}

/** Live entities of the home, kept in step with the event stream. */
export function useLiveEntities() {
  const res = useApi<EntityList>('/entities');
  useHubEvents(
    (e) => {
      if (e.type === 'entity.state_changed') res.set((d) => replaceEntity(listOf(d), (e.data as unknown as HubEvents['entity.state_changed']).entity));
      else if (e.type === 'entity.added') res.set((d) => replaceEntity(listOf(d), e.data as unknown as Entity));
      else if (e.type === 'entity.removed') res.set((d) => listOf(d).filter((x) => x.id !== (e.data as unknown as HubEvents['entity.removed']).id));
    },
    [res.set],
  );
  return res;
}

export const roomsOf = (entities: Entity[]) => [...new Set(entities.map((e) => e.area).filter((a): a is string => Boolean(a)))].sort();

/** Every device with its source, state, last report and availability; the owner edits them here. */
export function DevicesPage() {
  const { me } = useSession();
  const owner = isOwner(me.role);
  const res = useLiveEntities();
  const settings = useApi<Settings>(owner ? '/settings' : null);
  const [editing, setEditing] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const now = useTick(30_000);
  const entities = listOf(res.data);
  const rooms = useMemo(() => roomsOf(entities), [entities]);
  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    return entities
      .filter((e) => !q || e.name.toLowerCase().includes(q) || e.id.includes(q) || (e.area ?? '').toLowerCase().includes(q))
      .sort((a, b) => (a.area ?? '~').localeCompare(b.area ?? '~') || a.name.localeCompare(b.name));
  }, [entities, filter]);

  return (
    <>
      <PageHead title="Devices">
        {owner ? (
          <button type="button" class="primary" onClick={() => navigate('/devices/add')}>
            Add a device
          </button>
        ) : null}
      </PageHead>
      <div class="field">
        <label for="device-filter">Find a device</label>
        <input id="device-filter" type="search" value={filter} placeholder="Name or room" onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      </div>
      <ErrorNote error={res.error} />
      {res.loading && !res.data ? <Loading what="Loading devices" /> : null}
      {res.data && entities.length === 0 ? <p>No devices yet.{owner ? ' Add one with the button above.' : ''}</p> : null}
      <ul class="device-list">
        {shown.map((e) => (
          <li key={e.id} class="card device" data-entity={e.id}>
            <div class="row spread">
              <h2 class="h3">
                <a href={`/devices/${encodeURIComponent(e.id)}`}>{shortName(e)}</a>
              </h2>
              <span class="row tight">
                <span class={`tag ${isDemo(e) ? 'demo' : ''}`}>{sourceWords(e)}</span>
                {e.hidden ? <span class="tag">Hidden</span> : null}
              </span>
            </div>
            <p class="small device-facts">
              <span>{e.area ?? 'No room'}</span> · <span data-testid="state">{stateText(e)}</span> ·{' '}
              <span>
                <StatusDot status={e.available ? 'ok' : 'down'} /> {e.available ? 'Online' : 'Offline'}
              </span>{' '}
              · <span title={e.last_updated}>last heard {ago(e.last_updated, now)}</span>
            </p>
            {owner && editing === e.id ? (
              <EditDevice
                entity={e}
                rooms={rooms}
                settings={settings.data}
                onSaved={(next) => {
                  res.set((d) => replaceEntity(listOf(d), next));
                  void settings.reload();
                  setEditing(null);
                }}
                onCancel={() => setEditing(null)}
              />
            ) : owner ? (
              <button type="button" class="link" onClick={() => setEditing(e.id)} aria-label={`Edit ${shortName(e)}`}>
                Edit
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </>
  );
}
