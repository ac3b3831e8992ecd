import type { Entity } from '../devices/model.js';
import { describeAction, stateWords } from '../intents/answer.js';
import { isWatchedDoor } from '../notify/alerts.js';

export const HELP = [
  'You can ask me things and tell me what to do, for example:',
  '• "is the garage open?"  • "are all the doors locked?"',
  '• "turn off the kitchen lights"  • "unlock the front door"',
  'Commands: /status (the home at a glance), /devices, /approvals (waiting for a yes), /ack (take the latest alert), /help.',
].join('\n');

const MAX_LINES = 60;

/** Doors, locks, alarm, and anything unusual (unreachable, open, motion), in a few lines. */
export function statusText(entities: Entity[], home: string): string {
  if (entities.length === 0) return `${home}: I don't know any devices yet.`;
  const lines: string[] = [];
  const pick = (e: Entity) => `• ${e.name}: ${stateWords(e)}`;
  for (const e of entities.filter((x) => x.domain === 'lock')) lines.push(pick(e));
  for (const e of entities.filter((x) => isWatchedDoor(x))) lines.push(pick(e));
  for (const e of entities.filter((x) => x.domain === 'alarm_control_panel')) lines.push(pick(e));
  const unusual = entities.filter((e) => !e.available || e.state === 'unavailable' || (e.domain === 'binary_sensor' && e.state === 'on' && !isWatchedDoor(e)));
  const out = [`${home}:`, ...lines];
  if (unusual.length) out.push('Worth a look:', ...unusual.map(pick));
  else out.push('Nothing unusual.');
  return out.slice(0, MAX_LINES).join('\n');
}

export function devicesText(entities: Entity[]): string {
  if (entities.length === 0) return "I don't know any devices yet.";
  const lines = entities.map((e) => `• ${e.name}${e.area ? ` (${e.area})` : ''}: ${stateWords(e)}`);
  return (lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), `…and ${lines.length - MAX_LINES} more`] : lines).join('\n');
}

export function approvalsText(
  pending: {
    id: string;
    action: { entity_id: string; operation: string; params?: Record<string, unknown> };
    origin: { member_id: string | null };
    expires_at: string;
  }[],
  name: (id: string) => string,
  entity: (id: string) => Entity | undefined,
): string {
  if (pending.length === 0) return 'Nothing is waiting for approval.';
  return pending
    .slice(0, 20)
    .map(
      (e) =>
        `• ${e.origin.member_id ? name(e.origin.member_id) : 'An automation'} asks to ${describeAction(e.action, entity(e.action.entity_id))} (until ${e.expires_at.slice(11, 16)} UTC)`,
    )
    .join('\n');
}
