import { z } from 'zod';
import { checkExpression } from './expr.js';
import { validCron } from './cron.js';
import { selectorSchema, type Selector } from './select.js';

/**
 * The one schema of a workflow definition, as DESIGN's "Workflows" section writes it in YAML.
 * Every trigger, condition and step is an object named by its first key (`state:`, `wait:`…);
 * `keyed` picks the branch by that key so an error says what is wrong with *that* step rather
 * than listing every kind it is not.
 */

const DURATION = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;
/** `2s`, `10m`, `1h30m`, `500ms`, or a number of seconds → milliseconds. */
export function durationMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const m = DURATION.exec(value.trim());
  if (!m || value.trim() === '') return undefined;
  const [, h = '0', min = '0', s = '0', ms = '0'] = m;
  return ((Number(h) * 60 + Number(min)) * 60 + Number(s)) * 1000 + Number(ms);
}

const MAX_DURATION_MS = 366 * 24 * 3_600_000;
export const durationSchema = z.union([z.string().max(40), z.number()]).transform((v, ctx) => {
  const ms = durationMs(v);
  if (ms === undefined || ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a duration; write it like 30s, 10m, 1h30m (at most a year)` });
    return z.NEVER;
  }
  return ms;
});

/** A signed duration for sun offsets: `-30m`, `+1h`. */
const offsetSchema = z.union([z.string().max(40), z.number()]).transform((v, ctx) => {
  const s = String(v).trim();
  const sign = s.startsWith('-') ? -1 : 1;
  const ms = durationMs(typeof v === 'number' ? Math.abs(v) : s.replace(/^[-+]/, ''));
  if (ms === undefined || ms > 12 * 3_600_000) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not an offset; write it like -30m or 1h (at most 12 hours)` });
    return z.NEVER;
  }
  return sign * ms;
});

export const entityIdSchema = z
  .string()
  .max(200)
  .regex(/^[a-z_]+\.[a-z0-9_]+$/, 'expected an entity id such as light.porch');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day as HH:MM (24-hour)');
const expression = z
  .string()
  .min(1)
  .max(1000)
  .superRefine((src, ctx) => {
    const problem = checkExpression(src);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
/** A state value: YAML turns `on` into true and `17` into a number; the registry keeps strings. */
const stateValue = z.union([z.string().max(200), z.number(), z.boolean()]).transform((v) => (typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v)));

/** Hub events a workflow may start on, by name (see docs/workflows.md). */
export const HUB_EVENTS = [
  'approval.expired',
  'approval.denied',
  'approval.failed',
  'device.unavailable',
  'device.available',
  'hub.started',
  'hub.degraded',
  'checkin.missed',
  'gate.alert',
] as const;

type Branches = Record<string, z.ZodType>;
/** An object named by its first key, validated by that key's schema. */
function keyed<B extends Branches>(what: string, branches: B): z.ZodType<z.output<B[keyof B]>> {
  const names = Object.keys(branches);
  return z.unknown().transform((value, ctx) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: `each ${what} is a mapping that starts with one of: ${names.join(', ')}` });
      return z.NEVER;
    }
    const key = Object.keys(value).find((k) => names.includes(k));
    if (!key) {
      const first = Object.keys(value)[0];
      ctx.addIssue({ code: 'custom', message: `${first ? `"${first}" is not a ${what}; ` : ''}a ${what} starts with one of: ${names.join(', ')}` });
      return z.NEVER;
    }
    return copyResult(branches[key]!.safeParse(value), ctx);
  }) as unknown as z.ZodType<z.output<B[keyof B]>>;
}

function copyResult<T>(result: z.ZodSafeParseResult<T>, ctx: z.core.$RefinementCtx): T {
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as (string | number)[] });
  return z.NEVER;
}

/** One of several schemas, chosen by looking at the value, so errors come from the right one. */
function pick<B extends Branches>(choose: (v: unknown) => keyof B, branches: B): z.ZodType<z.output<B[keyof B]>> {
  return z.unknown().transform((value, ctx) => {
    return copyResult(branches[choose(value)]!.safeParse(value), ctx) as z.output<B[keyof B]>;
  }) as unknown as z.ZodType<z.output<B[keyof B]>>;
}

/** An entity id, or a selection of entities by domain, device class and area (see select.ts). */
const entityOrSelector = z.lazy(() =>
  pick((v) => (typeof v === 'object' && v !== null ? 'selector' : 'id'), {
    id: z
      .string()
      .max(200)
      .regex(/^[a-z_]+\.[a-z0-9_]+$/, 'expected an entity id such as light.porch, or a selection such as {domain: binary_sensor, device_class: door}'),
    selector: selectorSchema,
  }),
);

export const triggerSchema = keyed('trigger', {
  state: z.strictObject({ state: entityOrSelector, from: stateValue.optional(), to: stateValue.optional(), for: durationSchema.optional() }),
  numeric: z
    .strictObject({ numeric: entityIdSchema, above: z.number().optional(), below: z.number().optional(), for: durationSchema.optional() })
    .refine((t) => t.above !== undefined || t.below !== undefined, 'a numeric trigger needs above, below or both'),
  cron: z.strictObject({
    cron: z
      .string()
      .max(100)
      .superRefine((c, ctx) => {
        const problem = validCron(c);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
  }),
  mqtt: z.strictObject({
    mqtt: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^#+]*(\/[+#])*[^#]*$/, 'expected an MQTT topic (wildcards + and # allowed)'),
    payload: stateValue.optional(),
  }),
  event: z.strictObject({ event: z.enum(HUB_EVENTS, { error: `expected one of the hub events: ${HUB_EVENTS.join(', ')}` }) }),
  sun: z.strictObject({ sun: z.enum(['sunrise', 'sunset']), offset: offsetSchema.default(0) }),
  manual: z.strictObject({ manual: z.literal(true) }),
});
export type Trigger = z.output<typeof triggerSchema>;

export const conditionSchema = keyed('condition', {
  time: z.strictObject({
    time: z
      .strictObject({
        after: hhmm.optional(),
        before: hhmm.optional(),
        weekday: z
          .array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']))
          .max(7)
          .optional(),
      })
      .refine((t) => t.after || t.before || t.weekday, 'give after, before or weekday'),
  }),
  state: z.strictObject({ state: entityOrSelector, is: z.union([stateValue, z.array(stateValue).max(20)]) }),
  expr: z.strictObject({ expr: expression }),
});
export type Condition = z.output<typeof conditionSchema>;

const audienceSchema = z.array(z.string().min(1).max(64)).min(1).max(20).describe('roles (owner, adult…) or member ids / usernames');

export interface StepShapes {
  action: { action: ({ entity_id: string } | { target: Selector }) & { operation: string; params: Record<string, unknown> }; reason?: string };
  wait: { wait: number | { until: string } | { state: string; to: string; timeout: number } };
  notify: { notify: { to: string[]; text: string; urgency: 'low' | 'normal' | 'high' | 'urgent' } };
  ask: { ask: { to: string[]; text: string; choices: string[]; timeout: number; save_as?: string } };
  if: { if: Condition; then: Step[]; else: Step[] };
  choose: { choose: { when: Condition[]; steps: Step[] }[]; default: Step[] };
  parallel: { parallel: Step[][] };
  llm: { llm: { prompt: string; template: string; save_as?: string } };
  checkin: { checkin: { member_id?: string; name?: string } };
}
export type Step = StepShapes[keyof StepShapes];

const operation = z.string().regex(/^[a-z0-9_]{1,64}$/, 'expected an operation such as turn_on');
const params = z.record(z.string(), z.unknown()).default({});
const varName = z.string().regex(/^[a-z_][a-z0-9_]{0,39}$/, 'a name of lower-case letters, digits and _');
const steps: z.ZodType<Step[]> = z.lazy(() => z.array(stepSchema).max(100));

export const stepSchema: z.ZodType<Step> = keyed('step', {
  action: z.strictObject({
    action: pick((v) => (typeof v === 'object' && v !== null && 'target' in v ? 'target' : 'entity'), {
      entity: z.strictObject({ entity_id: entityIdSchema, operation, params }),
      target: z.strictObject({ target: selectorSchema, operation, params }),
    }),
    reason: z.string().max(300).optional(),
  }),
  wait: z.strictObject({
    wait: pick((v) => (typeof v === 'object' && v !== null ? ('until' in v ? 'until' : 'state') : 'duration'), {
      duration: durationSchema,
      until: z.strictObject({ until: hhmm }),
      state: z.strictObject({ state: entityIdSchema, to: stateValue, timeout: durationSchema }),
    }),
  }),
  notify: z.strictObject({
    notify: z.strictObject({ to: audienceSchema, text: z.string().min(1).max(2000), urgency: z.enum(['low', 'normal', 'high', 'urgent']).default('normal') }),
  }),
  ask: z.strictObject({
    ask: z.strictObject({
      to: audienceSchema,
      text: z.string().min(1).max(1000),
      choices: z.array(stateValue).min(2).max(6),
      timeout: durationSchema,
      save_as: varName.optional(),
    }),
  }),
  if: z.strictObject({ if: conditionSchema, then: steps, else: steps.default([]) }),
  choose: z.strictObject({
    choose: z
      .array(z.strictObject({ when: z.array(conditionSchema).min(1).max(20), steps }))
      .min(1)
      .max(20),
    default: steps.default([]),
  }),
  parallel: z.strictObject({
    parallel: z
      .array(z.union([steps, z.lazy(() => stepSchema).transform((s) => [s])]))
      .min(2)
      .max(10),
  }),
  llm: z.strictObject({
    llm: z.strictObject({
      prompt: z.string().min(1).max(4000).describe('what the model is asked, once a model is configured'),
      template: z.string().min(1).max(4000).describe('the text used without a model'),
      save_as: varName.optional(),
    }),
  }),
  checkin: z.strictObject({
    checkin: z
      .strictObject({
        member_id: z.string().min(1).max(64).optional().describe('the elder, by member id'),
        name: z.string().min(1).max(120).optional().describe('the elder, by username or display name'),
      })
      .refine((c) => (c.member_id === undefined) !== (c.name === undefined), 'name the elder with exactly one of member_id or name'),
  }),
}) as z.ZodType<Step>;

export const workflowSchema = z.strictObject({
  name: z.string().min(1).max(120),
  description: z.string().max(2000).optional(),
  mode: z.enum(['single', 'restart', 'queued', 'parallel']).default('single'),
  max: z.number().int().min(1).max(50).default(10).describe('queued / parallel: how many runs at most'),
  max_queued: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(1000)
    .describe('parallel: triggers that wait (in memory) for a free run while `max` run; beyond this they are dropped, logged and audited once per burst'),
  catch_up: z.enum(['once', 'skip']).default('once').describe('schedules missed while the hub was down: run once, or skip'),
  max_runs_per_minute: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(20)
    .describe('runaway protection: runs started in any minute beyond this are refused and the owner told'),
  triggers: z.array(triggerSchema).min(1).max(20),
  conditions: z.array(conditionSchema).max(20).default([]),
  steps: steps.refine((s) => s.length > 0, 'a workflow needs at least one step'),
});
export type WorkflowDefinition = z.output<typeof workflowSchema>;

export const STEP_KINDS = ['action', 'wait', 'notify', 'ask', 'if', 'choose', 'parallel', 'llm', 'checkin'] as const;
export type StepKind = (typeof STEP_KINDS)[number];
export const stepKind = (s: Step): StepKind => STEP_KINDS.find((k) => k in s)!;
