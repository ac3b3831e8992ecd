import type { BackupsStatus, Entity, HealthReport } from '../api/types';
import { ago, humanize } from '../lib/format';

/** The components' names as a homeowner says them; others are humanized ("audit_trail" → "Audit trail"). */
const COMPONENT_WORDS: Record<string, string> = {
  homeassistant: 'Home Assistant',
  mqtt: 'The device broker',
  broker: 'The device broker',
  telegram: 'Telegram',
  twilio: 'Phone calls (Twilio)',
  link: 'The cloud link',
  llm: 'The language model',
  inference: 'The language model',
  store: 'The database',
  backups: 'Backups',
  demo: 'The demo home',
};
const RANK: Record<string, number> = { down: 3, starting: 2, degraded: 1 };

/** "Home Assistant", "The device broker": a component by its everyday name. */
export const componentWords = (name: string) => COMPONENT_WORDS[name] ?? humanize(name);

/**
 * Health in one sentence: "All good · 11 devices online · last backup 3 h ago", or the worst
 * problem first, in words ("Home Assistant is down: cannot reach …").
 */
export function healthSentence(h: HealthReport, entities: Entity[] | undefined, backups: BackupsStatus | undefined, now = Date.now()): string {
  const worst = Object.entries(h.components)
    .filter(([, c]) => RANK[c.status])
    .sort((a, b) => RANK[b[1].status]! - RANK[a[1].status]!)[0];
  const head = worst
    ? `${componentWords(worst[0])} ${worst[1].status === 'down' ? 'is down' : worst[1].status === 'starting' ? 'is starting' : 'has a problem'}${worst[1].detail ? `: ${worst[1].detail}` : ''}`
    : h.status === 'ok'
      ? 'All good'
      : `The hub is ${h.status}`;
  const parts = [head];
  if (entities) {
    const online = entities.filter((e) => e.available && e.state !== 'unavailable').length;
    const offline = entities.length - online;
    parts.push(`${online} ${online === 1 ? 'device' : 'devices'} online${offline ? `, ${offline} offline` : ''}`);
  }
  if (backups) {
    if (backups.last_error && (!backups.last_good || backups.last_error.at > backups.last_good.at))
      parts.push(`the last backup failed: ${backups.last_error.reason}`);
    else if (backups.last_good) parts.push(`last backup ${ago(backups.last_good.at, now)}`);
    else parts.push(backups.passphrase_set ? 'no backup yet' : 'backups are off until a passphrase is set');
  }
  return parts.join(' · ');
}
