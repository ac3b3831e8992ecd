import type { MembersService } from '../members/service.js';
import { z } from 'zod';
import type { Member } from '../members/model.js';
import { roleSchema } from '../members/model.js';

export const severitySchema = z.enum(['info', 'warning', 'urgent']);
export type Severity = z.infer<typeof severitySchema>;
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, urgent: 2 };

/** A button on a notification. Approvals carry their id; actions go through the gate when pressed. */
export const notificationActionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('approve'), label: z.string().min(1).max(40), approval_id: z.string().min(1).max(64) }),
  z.strictObject({ kind: z.literal('deny'), label: z.string().min(1).max(40), approval_id: z.string().min(1).max(64) }),
  z.strictObject({
    kind: z.literal('action'),
    label: z.string().min(1).max(40),
    action: z.strictObject({
      entity_id: z.string().min(3).max(200),
      operation: z.string().min(1).max(64),
      params: z.record(z.string(), z.unknown()).default({}),
    }),
  }),
  z.strictObject({ kind: z.literal('ack'), label: z.string().min(1).max(40) }),
  /** One answer to a question (a workflow's `ask`): pressing it answers and takes the notification. */
  z.strictObject({ kind: z.literal('choice'), label: z.string().min(1).max(40), value: z.string().min(1).max(40) }),
]);
export type NotificationAction = z.infer<typeof notificationActionSchema>;

/** What a part hands the router. `audience` names people; the router picks channels. */
export const notificationInputSchema = z.strictObject({
  kind: z
    .string()
    .regex(/^[a-z0-9_.]{1,64}$/)
    .describe('dotted kind: approval.request, alert.door_open, action.outcome, ...'),
  severity: severitySchema.default('info'),
  text: z.string().min(1).max(3500),
  actions: z.array(notificationActionSchema).max(6).default([]),
  subject: z.string().max(200).optional().describe('what it is about (an approval id, an entity id); acknowledging by subject stops it'),
  dedup_key: z.string().max(200).optional(),
  audience: z
    .strictObject({ members: z.array(z.string()).max(100).default([]), roles: z.array(roleSchema).max(6).default([]) })
    .prefault({})
    .describe('who should hear it; empty with escalate → the first rung of the ladder'),
  escalate: z.boolean().default(false).describe('climb the escalation ladder until someone acknowledges'),
  /** Members never to send this to (the requester of an approval they may not decide). */
  exclude: z.array(z.string()).max(100).default([]),
  /** When climbing the ladder, only people with these roles (an approval's eligible approvers). */
  ladder_roles: z.array(roleSchema).max(6).optional(),
  /**
   * This notification's own ladder instead of notify.escalation_ladder: the same rungs, plus
   * `member:<id>@<channel>` (that person on that channel, such as a call to the next person).
   */
  ladder: z
    .array(z.string().regex(/^(role:[a-z]+|member:[A-Za-z0-9_-]{1,64}(@[a-z][a-z0-9_-]{0,31})?|channel:[a-z][a-z0-9_-]{0,31})$/))
    .min(1)
    .max(12)
    .optional(),
});
export type NotificationInput = z.input<typeof notificationInputSchema>;
export type NotificationSpec = z.output<typeof notificationInputSchema>;

export const deliveryStatusSchema = z.enum(['queued', 'held', 'sending', 'delivered', 'failed', 'cancelled']);
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>;

export const deliveryViewSchema = z.object({
  id: z.string(),
  member_id: z.string(),
  channel: z.string(),
  status: deliveryStatusSchema,
  attempts: z.number(),
  step: z.number(),
  next_attempt_at: z.string().nullable(),
  release_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
  last_error: z.string().nullable(),
});
export type DeliveryView = z.infer<typeof deliveryViewSchema>;

export const notificationViewSchema = z.object({
  id: z.string(),
  kind: z.string(),
  severity: severitySchema,
  text: z.string(),
  actions: z.array(notificationActionSchema),
  subject: z.string().nullable(),
  count: z.number(),
  state: z.enum(['open', 'acknowledged', 'closed']),
  ack_by: z.string().nullable(),
  created_at: z.string(),
  deliveries: z.array(deliveryViewSchema),
});
export type NotificationView = z.infer<typeof notificationViewSchema>;

/** One message for a channel to send. */
export interface OutgoingMessage {
  delivery_id: string;
  idem_key: string;
  member: Member;
  notification_id: string;
  kind: string;
  severity: Severity;
  text: string;
  actions: NotificationAction[];
  subject: string | null;
}

/**
 * A way to reach people. `send` resolves once the channel accepted the message and throws a
 * ChannelError otherwise; the router owns retries, so a channel never retries by itself.
 */
export interface NotificationChannel {
  readonly name: string;
  canReach(member: Member): boolean;
  /** Before the channel is up (announced with `expectChannel`), whether it will reach the member once it is; default yes. */
  canReachLater?(member: Member): boolean;
  send(message: OutgoingMessage): Promise<{ message_ref: string }>;
  /** Changes a message already sent (outcome shown, buttons removed); best effort. */
  edit?(messageRef: string, text: string, actions: NotificationAction[]): Promise<void>;
}

export class ChannelError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  constructor(message: string, options: { retryable: boolean; retryAfterMs?: number }) {
    super(message);
    this.name = 'ChannelError';
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** What the router needs of the members part. */
export type MemberDirectory = Pick<MembersService, 'get' | 'list'>;

/** Per-member choices. */
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');
export const preferencesSchema = z.strictObject({
  channels: z.array(z.string().min(1).max(32)).max(8).optional().describe('channels in order of preference; default from notify.default_channels'),
  min_severity: severitySchema.default('info').describe('less severe notifications are not sent (approvals always are)'),
  muted_kinds: z.array(z.string().max(64)).max(50).default([]).describe('kinds or kind prefixes (alert.) not to send; approvals cannot be muted'),
  quiet_hours: z
    .strictObject({ start: hhmm, end: hhmm })
    .nullable()
    .default(null)
    .describe("in the home's time zone; everything below urgent waits until the end"),
});
export type Preferences = z.output<typeof preferencesSchema>;

declare module '../core/bus.js' {
  interface HubEvents {
    /** A notification was accepted; the web UI's SSE stream forwards it to signed-in members. */
    'notification.created': { id: string; kind: string; severity: Severity; text: string; subject: string | null; member_ids: string[]; created_at: string };
    /** Someone took it: the ladder stopped. */
    'notification.acknowledged': { id: string; subject: string | null; by: string; via: string };
    /** Someone picked one of a question's choices (the first answer counts; later ones are refused). */
    'notification.answered': { id: string; subject: string | null; by: string; via: string; value: string; label: string };
  }
}
