import type { Member } from '../members/model.js';
import type { MemberDirectory } from '../notify/model.js';
import type { Checkin } from './store.js';

/**
 * Who a phone number belongs to. Until the dialogue's `member_identities` table (kind phone,
 * E.164) is on main this reads the members' own phone field; switching is a change here alone.
 */
export function memberByPhone(members: MemberDirectory, phone: string): Member | undefined {
  return members.list().find((m) => !m.disabled && m.phone === phone);
}

/** The number a check-in calls: its own, or the elder's. */
export const phoneOf = (c: Pick<Checkin, 'phone'>, elder: Member): string | undefined => c.phone ?? elder.phone ?? undefined;

/**
 * The ladder of a check-in's escalation: the first person on their usual channel (Telegram,
 * with the button), then an SMS to them, then a call to each next person in order.
 */
export function escalationLadder(escalateTo: string[]): string[] {
  const [first, ...rest] = escalateTo;
  return [`member:${first}`, 'channel:sms', ...rest.map((id) => `member:${id}@voice`)];
}
