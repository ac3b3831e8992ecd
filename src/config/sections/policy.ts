import { z } from 'zod';
import { defaultRiskTable } from '../../devices/domains/index.js';

/**
 * The action gate's policy. Defaults suit a family home: everyday things (lights, switches,
 * locking up) run at once; opening the home (unlock, garage open, disarm) needs the owner's
 * yes with a PIN; children keep to lights and the like; support staff touch only the hub.
 */
export const riskSchema = z.enum(['low', 'medium', 'high', 'critical']);
export type Risk = z.infer<typeof riskSchema>;

const roleNames = ['owner', 'adult', 'child', 'elder', 'guest', 'support'] as const;
const approverRole = z.enum(roleNames);
const originNames = ['web', 'api', 'cli', 'telegram', 'voice', 'workflow', 'llm', 'relay', 'support', 'system', 'mqtt'] as const;
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour)');
/** `<entity glob>[:<operation glob>]`, where `*` matches anything: `light.*`, `lock.front_door:unlock`, `hub.*`. */
const pattern = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[a-z0-9_.*]+(:[a-z0-9_*]+)?$/, 'expected <entity>[:<operation>] with * wildcards');

const opRisks = z.record(z.string().regex(/^[a-z0-9_*]+$/), riskSchema);

const roleRuleShape = {
  allow: z.array(pattern).max(500).describe('What the role may ask for (patterns).'),
  deny: z.array(pattern).max(500).describe('Exceptions to allow (patterns); deny wins.'),
  max_risk: riskSchema.nullable().describe('The highest risk the role may ask for at all; null: nothing.'),
  direct_max_risk: riskSchema.nullable().describe('Up to this risk an allowed request runs without approval; null: always ask.'),
};
export const roleRuleSchema = z.strictObject(roleRuleShape);
export type RoleRule = z.infer<typeof roleRuleSchema>;

const approvalRuleShape = {
  approver_roles: z.array(approverRole).min(1).describe('Roles whose members may approve.'),
  quorum: z.number().int().min(1).max(10).describe('How many approvals are needed.'),
  exclude_requester: z.boolean().describe('The requester cannot approve their own request.'),
  step_up: z.boolean().describe("Approvals through the channels in step_up_channels need the approver's PIN."),
  deny_ends: z.boolean().describe('One deny from an eligible approver ends the request.'),
  expiry_s: z.number().int().min(10).max(86_400).describe('Seconds an approval request stays open.'),
  forbid_origins: z.array(z.enum(originNames)).describe('Origins that may never ask for this risk, even with approval.'),
};
export const approvalRuleSchema = z.strictObject(approvalRuleShape);
export type ApprovalRule = z.infer<typeof approvalRuleSchema>;

export const windowRuleSchema = z.strictObject({
  match: pattern.describe('Which actions this window applies to.'),
  from: hhmm.describe("Start, in the home's time zone (hub.timezone)."),
  to: hhmm.describe('End (exclusive); a window may run past midnight.'),
  quorum: z.number().int().min(1).max(10).optional(),
  approver_roles: z.array(approverRole).min(1).optional(),
  step_up: z.boolean().optional(),
  risk: riskSchema.optional().describe('Raise (or set) the risk inside the window.'),
});
export type WindowRule = z.infer<typeof windowRuleSchema>;

/**
 * Risk by domain then operation; `*` is any operation. `cover:garage` applies to garage doors.
 * The devices' risks come from their domain descriptions (`src/devices/domains/`); `hub` is the hub's own actions.
 */
export const DEFAULT_RISKS: Record<string, Record<string, Risk>> = { ...defaultRiskTable(), hub: { '*': 'high' } };

const IN_HOME_CHILD = ['light.*', 'switch.*', 'fan.*', 'media_player.*', 'scene.*'];

export const DEFAULT_ROLES: Record<string, RoleRule> = {
  owner: { allow: ['*'], deny: [], max_risk: 'critical', direct_max_risk: 'low' },
  adult: { allow: ['*'], deny: ['hub.*'], max_risk: 'critical', direct_max_risk: 'low' },
  elder: { allow: ['*'], deny: ['hub.*'], max_risk: 'high', direct_max_risk: 'low' },
  child: { allow: IN_HOME_CHILD, deny: ['*:unlock', 'lock.*', 'alarm_control_panel.*'], max_risk: 'medium', direct_max_risk: 'low' },
  guest: { allow: [], deny: ['hub.*'], max_risk: 'medium', direct_max_risk: 'low' },
  support: { allow: ['hub.*'], deny: [], max_risk: 'high', direct_max_risk: null },
  // Requests with no member behind them: workflows and schedules the owner set up.
  system: { allow: ['*'], deny: ['hub.*'], max_risk: 'high', direct_max_risk: 'low' },
};

export const DEFAULT_APPROVALS: Record<'medium' | 'high' | 'critical', ApprovalRule> = {
  medium: { approver_roles: ['owner', 'adult'], quorum: 1, exclude_requester: false, step_up: false, deny_ends: true, expiry_s: 300, forbid_origins: [] },
  high: { approver_roles: ['owner'], quorum: 1, exclude_requester: true, step_up: true, deny_ends: true, expiry_s: 300, forbid_origins: [] },
  critical: { approver_roles: ['owner'], quorum: 1, exclude_requester: true, step_up: true, deny_ends: true, expiry_s: 300, forbid_origins: ['llm', 'relay'] },
};

export const DEFAULT_WINDOWS: WindowRule[] = [
  { match: 'alarm_control_panel.*:alarm_disarm', from: '23:00', to: '06:00', quorum: 2, approver_roles: ['owner', 'adult'] },
];

/** Each field defaults to the given rule, so that the owner can change one field of one role. */
function withDefaults<S extends Record<string, z.ZodType>>(shape: S, d: { [K in keyof S]: z.output<S[K]> }) {
  const out: Record<string, z.ZodType> = {};
  for (const [k, v] of Object.entries(shape)) out[k] = (v as z.ZodType).default(d[k as keyof S] as never);
  const obj = z.strictObject(out as { [K in keyof S]: z.ZodDefault<S[K]> });
  return obj.prefault({} as never);
}

/**
 * The hub's own security-relevant changes, each a system action `hub.<part>:<operation>`
 * through the gate. Adding an owner, changing an owner and changing the policy are high;
 * removing access (revoking support, deleting a device login) is low.
 */
export const HUB_CHANGE_OPERATIONS = [
  'add_member',
  'add_owner',
  'update_member',
  'update_owner',
  'delete_member',
  'delete_owner',
  'change_policy',
  'grant_diagnostics',
  'grant_maintenance',
  'revoke_support',
  'create_device_login',
  'delete_device_login',
] as const;
export type HubChangeOperation = (typeof HUB_CHANGE_OPERATIONS)[number];
export const DEFAULT_HUB_CHANGE_RISKS: Record<HubChangeOperation, Risk> = {
  add_member: 'medium',
  add_owner: 'high',
  update_member: 'medium',
  update_owner: 'high',
  delete_member: 'medium',
  delete_owner: 'high',
  change_policy: 'high',
  grant_diagnostics: 'medium',
  grant_maintenance: 'high',
  revoke_support: 'low',
  create_device_login: 'medium',
  delete_device_login: 'low',
};

/** Hub changes: an owner confirms their own with the PIN; a second person only when this rule asks (quorum, exclude_requester). */
export const DEFAULT_HUB_CHANGE_APPROVAL: ApprovalRule = {
  approver_roles: ['owner'],
  quorum: 1,
  exclude_requester: false,
  step_up: true,
  deny_ends: true,
  expiry_s: 900,
  forbid_origins: ['llm', 'relay'],
};

const hubChangesSchema = z.strictObject({
  risks: withDefaults(
    Object.fromEntries(HUB_CHANGE_OPERATIONS.map((op) => [op, riskSchema])) as Record<HubChangeOperation, typeof riskSchema>,
    DEFAULT_HUB_CHANGE_RISKS,
  ).describe("Risk of each of the hub's own changes (members, roles, PINs and passwords of others, the policy, support sessions, device logins)."),
  approval: withDefaults(approvalRuleShape, DEFAULT_HUB_CHANGE_APPROVAL).describe(
    "Who approves the hub's own changes above low risk. With exclude_requester false and quorum 1 an owner confirms their own change with their PIN; set exclude_requester or a quorum of 2 to need a second person.",
  ),
  confirm_minutes: z
    .number()
    .min(0)
    .max(60)
    .default(5)
    .describe(
      'After an owner confirms a hub change (or any approval) with their PIN in the web UI, further hub changes from the same sign-in need no PIN for this many minutes (like sudo); 0: always ask.',
    ),
});

const rolesSchema = z.strictObject({
  owner: withDefaults(roleRuleShape, DEFAULT_ROLES.owner!),
  adult: withDefaults(roleRuleShape, DEFAULT_ROLES.adult!),
  elder: withDefaults(roleRuleShape, DEFAULT_ROLES.elder!),
  child: withDefaults(roleRuleShape, DEFAULT_ROLES.child!),
  guest: withDefaults(roleRuleShape, DEFAULT_ROLES.guest!),
  support: withDefaults(roleRuleShape, DEFAULT_ROLES.support!),
  system: withDefaults(roleRuleShape, DEFAULT_ROLES.system!),
});

export const policySection = z
  .strictObject({
    risks: z
      .record(z.string().regex(/^[a-z_]+(:[a-z_]+)?$/), opRisks)
      .default({})
      .describe(
        'Risk by domain (or domain:device_class, such as cover:garage) and operation, on top of the built-in table (DEFAULT_RISKS in docs); `*` is any operation.',
      ),
    overrides: z
      .record(z.string().regex(/^[a-z_]+\.[a-z0-9_]+$/), opRisks)
      .default({})
      .describe('Risk per entity and operation, above the domain risks: {"lock.front_door": {"unlock": "critical"}}.'),
    roles: rolesSchema
      .prefault({})
      .describe(
        'What each role may ask for (allow/deny patterns such as light.* or lock.front_door:unlock), the highest risk it may ask for, and up to which risk it runs without approval. `system` is for requests with no member (workflows).',
      ),
    approvals: z
      .strictObject({
        medium: withDefaults(approvalRuleShape, DEFAULT_APPROVALS.medium),
        high: withDefaults(approvalRuleShape, DEFAULT_APPROVALS.high),
        critical: withDefaults(approvalRuleShape, DEFAULT_APPROVALS.critical),
      })
      .prefault({})
      .describe('Who approves each risk above low, how many, with a PIN or not, for how long, and origins never allowed.'),
    windows: z
      .array(windowRuleSchema)
      .max(100)
      .default(DEFAULT_WINDOWS)
      .describe("Stricter rules at some times of day, in the home's time zone (two approvers to disarm at night). Replaced whole when set."),
    llm: z
      .strictObject({
        forbid: z
          .array(pattern)
          .max(500)
          .default([])
          .describe(
            'Actions a language model may never propose (patterns such as lock.*:unlock); the member can still ask by a button or a plain rule-read command.',
          ),
        raise_risk: z
          .number()
          .int()
          .min(0)
          .max(3)
          .default(0)
          .describe('Steps by which the risk of an action a language model proposed is raised (1: low becomes medium and needs an approval).'),
      })
      .prefault({})
      .describe(
        'Actions proposed by the language model (whatever channel carried the text). Origins forbidden for a risk (forbid_origins with `llm`) also apply to them.',
      ),
    hub_changes: hubChangesSchema
      .prefault({})
      .describe("The hub's own security-relevant changes as gated actions: their risks, who approves them, and how long one PIN confirmation lasts."),
    sole_approver_pin: z
      .boolean()
      .default(true)
      .describe(
        'When the requester holds an approver role and no one else could approve (a home with one owner), the requester confirms their own request with their PIN instead of the request being refused; exclude_requester still holds whenever another approver exists.',
      ),
    step_up_channels: z
      .array(z.enum(originNames))
      .default(['web', 'api'])
      .describe("Channels on which a step-up approval needs the approver's PIN (Telegram and voice prove the person otherwise)."),
    confirm_timeout_s: z
      .number()
      .min(0.1)
      .max(600)
      .default(10)
      .describe('How long the gate waits for a device to report the new state before calling the action unconfirmed.'),
    sweep_interval_s: z.number().min(0.1).max(3600).default(5).describe('How often expired approval requests are closed.'),
  })
  .describe('Who may do what, and who approves.');
export type PolicySettings = z.infer<typeof policySection>;
