import { z } from 'zod';

/**
 * A rung of an escalation ladder: everyone with a role, one member, or one more channel
 * (`channel:sms`) for everyone the notification has reached so far.
 */
const rungSchema = z
  .string()
  .regex(/^(role:(owner|adult|child|elder|guest)|member:[A-Za-z0-9_-]{1,64}|channel:[a-z][a-z0-9_-]{0,31})$/, 'role:<role>, member:<id> or channel:<name>');

export const notifySection = z
  .strictObject({
    tick_ms: z.number().int().min(10).max(60_000).default(1000).describe('How often the router looks for due deliveries, releases and escalations.'),
    retry_base_ms: z.number().int().min(10).max(600_000).default(2000).describe('First retry delay after a failed send; doubles each attempt.'),
    retry_max_ms: z.number().int().min(100).max(3_600_000).default(300_000).describe('Longest delay between retries of one delivery.'),
    max_attempts: z.number().int().min(1).max(10_000).default(200).describe('Sends tried before a delivery is marked failed (retryable errors only).'),
    dedup_window_s: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(600)
      .describe('A notification with the same dedup key within this window is counted, not sent again.'),
    per_member_burst: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe('Messages a person may get at once on one channel before the rest wait (urgent ones never wait).'),
    per_member_per_minute: z.number().min(0.1).max(600).default(20).describe('Sustained messages per person per channel per minute.'),
    default_channels: z
      .array(z.string().min(1).max(32))
      .default(['telegram', 'sms'])
      .describe('Channels, in order, for members who have not chosen (the first that reaches them).'),
    escalation_ladder: z
      .array(rungSchema)
      .max(10)
      .default(['role:owner', 'role:adult'])
      .describe(
        'Who gets an unacknowledged urgent notification or approval next, in order: role:<role>, member:<id>, or channel:<name> (the people reached so far, on that channel too).',
      ),
    escalation_step_minutes: z.number().min(0.1).max(1440).default(5).describe('Minutes before an unacknowledged urgent notification climbs one rung.'),
    alert_roles: z
      .array(z.enum(['owner', 'adult', 'child', 'elder', 'guest']))
      .default(['owner', 'adult'])
      .describe("Who gets the hub's own alerts (doors left open, devices offline)."),
    door_open_minutes: z.number().min(0.1).max(1440).default(10).describe('Minutes a garage or door may stay open before an alert.'),
    unavailable_minutes: z.number().min(0).max(1440).default(5).describe('Minutes a device may be unreachable before an alert.'),
    keep_days: z.number().int().min(1).max(3650).default(30).describe('Days finished notifications and deliveries are kept.'),
  })
  .describe('The notification router: retries, de-duplication, rate limits, escalation and alerts.');
