import { useMemo, useState } from 'preact/hooks';
import type { Entity, Envelope, HubEvents } from '../../api/types';
import { useSession } from '../../lib/session';
import { useHubEvents } from '../../api/events';
import { ErrorNote, Loading, PageHead } from '../../components/ui';
import { useApi } from '../../lib/use-api';
import { EntityCard } from './entity-card';
import { DOMAIN_ORDER, DOMAIN_WORDS } from './controls';
import { SetupBanner } from '../setup/setup-banner';

import { listOf, replaceEntity as replace, useFavourites, type EntityList } from '../../lib/devices';

/** The home, live: the member's favourites, then entities by room (then type), or by type; updated from the event stream. */
export function HomePage() {
  const res = useApi<EntityList>('/entities');
  const [by, setBy] = useState<'area' | 'domain'>(() => (localStorage.getItem('hearth.groupBy') as 'area' | 'domain') ?? 'area');
  const { me } = useSession();
  const fav = useFavourites(me.id);
  // Hidden devices keep working; they are only left off Home (the Devices page lists them).
  const entities = listOf(res.data).filter((e) => !e.hidden);
  const favourites = entities.filter((e) => fav.has(e.id)).sort((a, b) => a.name.localeCompare(b.name));
  // My own open requests, so that a reload still shows what waits for approval.
  const mine = useApi<{ approvals: Envelope[] }>('/approvals?state=pending&limit=100');
  const waiting = useMemo(() => {
    const m = new Map<string, Envelope>();
    for (const a of mine.data?.approvals ?? []) if (a.origin.member_id === me.id) m.set(a.action.entity_id, a);
    return m;
  }, [mine.data, me.id]);

  useHubEvents(
    (e) => {
      if (e.type === 'entity.state_changed') {
        const { entity } = e.data as unknown as HubEvents['entity.state_changed'];
        res.set((d) => replace(listOf(d), entity));
      } else if (e.type === 'entity.added') {
        res.set((d) => replace(listOf(d), e.data as unknown as Entity));
      } else if (e.type === 'entity.removed') {
        const { id } = e.data as unknown as HubEvents['entity.removed'];
        res.set((d) => listOf(d).filter((x) => x.id !== id));
      }
    },
    [res.set],
  );

  const hasAreas = entities.some((e) => e.area);
  const mode = by === 'area' && hasAreas ? 'area' : 'domain';
  const groups = useMemo(() => group(entities, mode), [entities, mode]);

  return (
    <>
      <PageHead title="Home">
        {hasAreas ? (
          <div class="segmented" role="group" aria-label="Group by">
            {(['area', 'domain'] as const).map((m) => (
              <button
                key={m}
                type="button"
                aria-pressed={mode === m}
                onClick={() => {
                  setBy(m);
                  localStorage.setItem('hearth.groupBy', m);
                }}
              >
                {m === 'area' ? 'By room' : 'By type'}
              </button>
            ))}
          </div>
        ) : null}
      </PageHead>
      <SetupBanner />
      <ErrorNote error={res.error} />
      {res.loading && !res.data ? <Loading what="Loading your home" /> : null}
      {res.data && entities.length === 0 ? (
        <p>
          No devices yet. <a href="/devices/add">Add a device</a>, or connect Home Assistant.
        </p>
      ) : null}
      {favourites.length > 0 ? (
        <section class="group favourites" aria-label="Favourites">
          <h2>Favourites</h2>
          <ul class="entities">
            {favourites.map((e) => (
              <EntityCard key={e.id} entity={e} pending={waiting.get(e.id)} />
            ))}
          </ul>
        </section>
      ) : null}
      {groups.map(([name, list]) => (
        <section key={name} class="group" aria-label={name}>
          <h2>{name}</h2>
          <ul class="entities">
            {list.map((e) => (
              <EntityCard key={e.id} entity={e} pending={waiting.get(e.id)} />
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}

const kindRank = (e: Entity) => (DOMAIN_ORDER.indexOf(e.domain) + 100) % 100;

function group(entities: Entity[], by: 'area' | 'domain'): Array<[string, Entity[]]> {
  const map = new Map<string, Entity[]>();
  for (const e of entities) {
    const key = by === 'area' ? (e.area ?? 'Elsewhere') : (DOMAIN_WORDS[e.domain] ?? 'Other');
    map.set(key, [...(map.get(key) ?? []), e]);
  }
  const rank = (name: string, list: Entity[]) =>
    by === 'area' ? (name === 'Elsewhere' ? 1 : 0) : Math.min(...list.map((e) => (DOMAIN_ORDER.indexOf(e.domain) + 100) % 100));
  return (
    [...map.entries()]
      // Within a room, by kind (doors and locks first), then by name.
      .map(([k, v]) => [k, v.sort((a, b) => (by === 'area' ? kindRank(a) - kindRank(b) : 0) || a.name.localeCompare(b.name))] as [string, Entity[]])
      .sort((a, b) => rank(a[0], a[1]) - rank(b[0], b[1]) || a[0].localeCompare(b[0]))
  );
}
