import { useContext, useEffect, useState } from 'preact/hooks';
import { SessionContext, mayAudit } from './session';
import { get } from '../api/client';
import type { Entity, MemberList } from '../api/types';
import { shortName } from '../pages/home/controls';

/** Names for ids (entities, members) so lists can say "Front door" and "Alice", not ids. */
export function useNames(): { entity: (id: string) => string; member: (id: string | null) => string } {
  const [entities, setEntities] = useState<Record<string, string>>({});
  const [members, setMembers] = useState<Record<string, string>>({});
  // The member list is for owners and adults (GET /members, with the disabled ones too); everyone
  // gets the household's names with the session.
  const session = useContext(SessionContext);
  const listsMembers = !session || mayAudit(session.me.role);
  useEffect(() => {
    // Everyone's name comes with the session (GET /auth/me: household), for every role.
    if (session)
      setMembers((m) => ({ ...m, ...Object.fromEntries(session.household.map((h) => [h.id, h.display_name])), [session.me.id]: session.me.display_name }));
    void get<Entity[] | { entities: Entity[] }>('/entities')
      .then((d) => setEntities(Object.fromEntries((Array.isArray(d) ? d : d.entities).map((e) => [e.id, shortName(e)]))))
      .catch(() => undefined);
    if (listsMembers)
      void get<MemberList>('/members')
        .then((d) => setMembers(Object.fromEntries(d.members.map((m) => [m.id, m.display_name]))))
        .catch(() => undefined);
  }, []);
  return {
    entity: (id) => entities[id] ?? id,
    member: (id) => (id === null ? 'an automation' : (members[id] ?? (listsMembers ? id : 'someone in the home'))),
  };
}

const OPERATION_WORDS: Record<string, string> = {
  turn_on: 'turn on',
  turn_off: 'turn off',
  toggle: 'toggle',
  lock: 'lock',
  unlock: 'unlock',
  open: 'open',
  open_cover: 'open',
  close_cover: 'close',
  stop_cover: 'stop',
  set_cover_position: 'move',
  alarm_arm_away: 'arm (away)',
  alarm_arm_home: 'arm (home)',
  alarm_arm_night: 'arm (night)',
  alarm_disarm: 'disarm',
  alarm_trigger: 'trigger',
  set_temperature: 'set the temperature of',
  set_hvac_mode: 'change the mode of',
  press: 'press',
};

/** "unlock Front door" */
export function actionWords(operation: string, entityName: string, params: Record<string, unknown> = {}): string {
  const verb = OPERATION_WORDS[operation] ?? operation.replace(/_/g, ' ');
  const extra =
    params.temperature !== undefined
      ? ` to ${String(params.temperature)}°`
      : params.brightness !== undefined
        ? ` at ${Math.round((Number(params.brightness) / 255) * 100)}%`
        : '';
  return `${verb} ${entityName}${extra}`;
}
