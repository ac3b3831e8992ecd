import { z } from 'zod';
import { changeOrigin, type HubChanges } from '../core/hub-changes.js';
import { originSchema } from '../audit/entry.js';
import { roleSchema, type Member, type Principal, type Role } from './model.js';
import type { MemberChange, MemberRow } from './repo.js';
import { lastOwner, type Actor, type MembersService } from './service.js';
import type { CreateMemberBody, UpdateMemberBody } from './schemas.js';

/** The members part's hub changes: `hub.members` with these operations (policy.hub_changes.risks). */
export const MEMBERS_ENTITY = 'hub.members';

/** Fields of an owner's PATCH that change who may do what; the others (name, phone) apply at once. */
const GUARDED = ['role', 'disabled', 'password', 'pin'] as const;

const by = z.object({ id: z.string(), origin: originSchema });
const hash = z.string().nullable();
/** What an envelope carries to add a member later: hashes, never the password or PIN. */
const addParams = z.object({
  member: z.object({ id: z.string(), username: z.string(), display_name: z.string(), role: roleSchema, phone: z.string().nullable() }),
  password_hash: hash,
  pin_hash: hash,
  fields: z.array(z.string()),
  by,
});
const updateParams = z.object({
  member_id: z.string(),
  change: z.object({
    username: z.string().optional(),
    display_name: z.string().optional(),
    role: roleSchema.optional(),
    disabled: z.union([z.literal(0), z.literal(1)]).optional(),
    phone: z.string().nullable().optional(),
    telegram_user_id: z.null().optional(),
  }),
  password_hash: hash.optional(),
  pin_hash: hash.optional(),
  keep_session: z.string().optional(),
  by,
});
const deleteParams = z.object({ member_id: z.string(), by });

const ROLE_WORDS: Record<Role, string> = { owner: 'an owner', adult: 'an adult', elder: 'an elder', child: 'a child', guest: 'a guest', support: 'support' };

/** Registers what runs when a member change is approved (exactly once, by the gate's executor). */
export function defineMemberChanges(changes: HubChanges, members: MembersService): void {
  const add = (raw: Record<string, unknown>) => {
    const p = addParams.parse(raw);
    const row: MemberRow = {
      ...p.member,
      password_hash: p.password_hash,
      pin_hash: p.pin_hash,
      telegram_user_id: null,
      disabled: 0,
      created_at: '',
      updated_at: '',
    };
    members.insertMember(row, p.fields, p.by);
  };
  const update = (raw: Record<string, unknown>) => {
    const p = updateParams.parse(raw);
    const change: MemberChange = { ...p.change };
    if (p.password_hash !== undefined) change.password_hash = p.password_hash;
    if (p.pin_hash !== undefined) change.pin_hash = p.pin_hash;
    members.applyChange(p.member_id, change, p.by, p.keep_session);
  };
  const remove = async (raw: Record<string, unknown>) => {
    const p = deleteParams.parse(raw);
    await members.remove(p.member_id, p.by);
  };
  for (const op of ['add_member', 'add_owner'] as const) changes.define(MEMBERS_ENTITY, op, { run: add });
  for (const op of ['update_member', 'update_owner'] as const) changes.define(MEMBERS_ENTITY, op, { run: update });
  for (const op of ['delete_member', 'delete_owner'] as const) changes.define(MEMBERS_ENTITY, op, { run: remove });
}

/** POST /members through the gate: undefined when the member was added at once, else the 202 body. */
export async function askToAdd(changes: HubChanges, members: MembersService, p: Principal, actor: Actor, input: CreateMemberBody) {
  const { row, fields } = await members.newMember(input);
  const params = {
    member: { id: row.id, username: row.username, display_name: row.display_name, role: row.role, phone: row.phone },
    password_hash: row.password_hash,
    pin_hash: row.pin_hash,
    fields,
    by: actor,
    summary: `add ${row.display_name} as ${ROLE_WORDS[row.role]}`,
  };
  const pending = await changes.ask({
    entity_id: MEMBERS_ENTITY,
    operation: row.role === 'owner' ? 'add_owner' : 'add_member',
    params,
    origin: changeOrigin(p),
  });
  return { id: row.id, pending };
}

/**
 * PATCH /members/:id: a change of role, disabled, or another member's password or PIN goes
 * through the gate (with the rest of the same PATCH); a change of name or phone, or of one's
 * own password or PIN with the current password, applies at once as before.
 */
export async function askToUpdate(changes: HubChanges, members: MembersService, p: Principal, actor: Actor, target: Member, input: UpdateMemberBody) {
  const self = target.id === p.member_id;
  const guarded = GUARDED.filter((k) => input[k] !== undefined && !(self && (k === 'password' || k === 'pin')));
  const change = await members.prepareUpdate(target.id, input, actor);
  if (guarded.length === 0) return { member: members.applyChange(target.id, change, actor, self ? p.session_id : undefined) };
  if (members.leavesNoOwner(target.id, change)) throw lastOwner();
  const { password_hash, pin_hash, ...rest } = change;
  const params = {
    member_id: target.id,
    change: rest,
    ...(password_hash !== undefined ? { password_hash } : {}),
    ...(pin_hash !== undefined ? { pin_hash } : {}),
    ...(self && p.session_id ? { keep_session: p.session_id } : {}),
    by: actor,
    summary: updateWords(target, input),
  };
  const ownerTouched = target.role === 'owner' || input.role === 'owner';
  const pending = await changes.ask({ entity_id: MEMBERS_ENTITY, operation: ownerTouched ? 'update_owner' : 'update_member', params, origin: changeOrigin(p) });
  return { pending };
}

/** DELETE /members/:id through the gate. */
export async function askToDelete(changes: HubChanges, members: MembersService, p: Principal, actor: Actor, target: Member) {
  if (members.leavesNoOwner(target.id, 'delete')) throw lastOwner();
  const params = { member_id: target.id, by: actor, summary: `remove ${target.display_name} (${ROLE_WORDS[target.role]}) from the home` };
  return changes.ask({ entity_id: MEMBERS_ENTITY, operation: target.role === 'owner' ? 'delete_owner' : 'delete_member', params, origin: changeOrigin(p) });
}

/** "make Sam an owner and set a new PIN for Sam". */
function updateWords(target: Member, input: UpdateMemberBody): string {
  const name = target.display_name;
  const parts: string[] = [];
  if (input.role !== undefined && input.role !== target.role) parts.push(`make ${name} ${ROLE_WORDS[input.role]}`);
  if (input.disabled === true) parts.push(`disable ${name}'s account`);
  if (input.disabled === false) parts.push(`enable ${name}'s account`);
  if (input.password !== undefined) parts.push(`set a new password for ${name}`);
  if (input.pin === null) parts.push(`remove ${name}'s PIN`);
  else if (input.pin !== undefined) parts.push(`set a new PIN for ${name}`);
  return parts.length ? parts.join(' and ') : `change ${name}'s account`;
}
