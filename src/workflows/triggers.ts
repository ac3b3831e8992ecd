import cron, { type ScheduledTask } from 'node-cron';
import SunCalc from 'suncalc';
import type { HubContext } from '../part/context.js';
import type { Entity } from '../devices/model.js';
import type { LanBroker } from '../devices/mqtt/broker.js';
import { newId } from '../core/ids.js';
import { nextCron, parseCron } from './cron.js';
import type { Trigger, WorkflowDefinition } from './schema.js';
import type { TimerRow, WorkflowStore } from './store.js';
import { selects, type Selector } from './select.js';

/** A workflow as the triggers see it: enabled, parsed. */
export interface Armed {
  id: string;
  def: WorkflowDefinition;
}

/** What fired, as a run records it. */
export type Fired = Record<string, unknown> & { kind: string };

type Fire = (workflowId: string, trigger: Fired) => void;

type StateTrigger = Extract<Trigger, { state: unknown }>;
const matchesState = (t: StateTrigger, from: string | null, to: string | null): boolean =>
  from !== to && (t.from === undefined || t.from === from) && (t.to === undefined || t.to === to);

function inRange(t: Extract<Trigger, { numeric: string }>, state: string | null): boolean {
  const v = state === null || state.trim() === '' ? NaN : Number(state);
  if (!Number.isFinite(v)) return false;
  return (t.above === undefined || v > t.above) && (t.below === undefined || v < t.below);
}

/** The next sunrise or sunset (with offset) strictly after `after`, or undefined without a location. */
export function nextSun(kind: 'sunrise' | 'sunset', offsetMs: number, after: number, lat: number, lon: number): number | undefined {
  for (let d = -1; d <= 3; d++) {
    const day = new Date(after + d * 86_400_000);
    const t = SunCalc.getTimes(day, lat, lon)[kind].getTime() + offsetMs;
    if (Number.isFinite(t) && t > after) return t;
  }
  return undefined; // polar day or night
}

/**
 * Watches for what starts workflows: state and numeric changes (with `for:` deadlines kept in
 * SQLite), MQTT topics on the LAN broker, hub events, and schedules (cron and sun). A schedule's
 * next due time is stored as a timer; node-cron only wakes the engine at those minutes, so a
 * missed or doubled node-cron tick changes nothing. `for:` deadlines and schedule slots are
 * processed by `due()` from the engine's tick.
 */
export class TriggerWatcher {
  private byEntity = new Map<string, { wf: Armed; index: number }[]>();
  /** State triggers on a selection (`state: {domain: binary_sensor, device_class: door}`), checked against every change. */
  private bySelector: { wf: Armed; index: number; sel: Selector }[] = [];
  private byEvent = new Map<string, string[]>();
  private offMqtt: (() => void)[] = [];
  private tasks: ScheduledTask[] = [];
  readonly problems = new Map<string, string>();

  constructor(
    private readonly ctx: HubContext,
    private readonly store: WorkflowStore,
    private readonly broker: LanBroker | undefined,
    private readonly fire: Fire,
    private readonly wake: () => void,
  ) {}

  private get tz(): string {
    return this.ctx.settings.get().hub.timezone;
  }

  /** (Re)arms every enabled workflow's triggers. Stored schedule slots are kept, so nothing missed is lost. */
  arm(workflows: Armed[], startup = false): void {
    this.disarm();
    const now = this.ctx.clock.now();
    const live = new Set<string>();
    for (const wf of workflows) {
      wf.def.triggers.forEach((t, index) => {
        const key = `${wf.id}:${index}`;
        if ('state' in t && typeof t.state !== 'string') {
          this.bySelector.push({ wf, index, sel: t.state });
        } else if ('state' in t || 'numeric' in t) {
          const id = 'state' in t ? (t.state as string) : t.numeric;
          const list = this.byEntity.get(id) ?? [];
          list.push({ wf, index });
          this.byEntity.set(id, list);
        } else if ('event' in t) {
          this.byEvent.set(t.event, [...(this.byEvent.get(t.event) ?? []), wf.id]);
        } else if ('mqtt' in t && this.broker) {
          this.offMqtt.push(
            this.broker.subscribe(t.mqtt, (m) => {
              const payload = m.payload.toString('utf8').slice(0, 1000);
              if (t.payload === undefined || t.payload === payload) this.fire(wf.id, { kind: 'mqtt', topic: m.topic, payload });
            }),
          );
        } else if ('cron' in t || 'sun' in t) {
          live.add(key);
          if (!this.store.timer(wf.id, 'schedule', null, String(index))) {
            const next = this.next(t, now);
            if (next !== undefined)
              this.store.setTimer({
                id: newId('wft'),
                kind: 'schedule',
                workflow_id: wf.id,
                run_id: null,
                path: String(index),
                due_at: next,
                data: JSON.stringify({ startup }),
              });
          }
          if ('cron' in t) this.tasks.push(cron.schedule(t.cron, () => this.wake(), { timezone: this.tz, noOverlap: true }));
        }
      });
      // Schedules of triggers that no longer exist go.
      for (const timer of this.store.timersOf(wf.id, 'schedule'))
        if (!live.has(`${wf.id}:${timer.path}`)) this.store.clearTimer(wf.id, 'schedule', null, timer.path);
    }
    if (this.tasks.length === 0 && this.hasSun(workflows))
      this.tasks.push(cron.schedule('* * * * *', () => this.wake(), { timezone: this.tz, noOverlap: true }));
  }

  private hasSun(workflows: Armed[]): boolean {
    return workflows.some((w) => w.def.triggers.some((t) => 'sun' in t));
  }

  disarm(): void {
    for (const off of this.offMqtt) off();
    for (const task of this.tasks) void task.destroy();
    this.offMqtt = [];
    this.tasks = [];
    this.byEntity.clear();
    this.bySelector = [];
    this.byEvent.clear();
  }

  /** When a schedule trigger is next due after `after`. */
  next(t: Trigger, after: number): number | undefined {
    if ('cron' in t) return nextCron(parseCron(t.cron), after, this.tz);
    if ('sun' in t) {
      const { latitude, longitude } = this.ctx.settings.get().hub;
      if (latitude === null || longitude === null) return undefined;
      return nextSun(t.sun, t.offset, after, latitude, longitude);
    }
    return undefined;
  }

  event(name: string, data: Record<string, unknown>): void {
    for (const id of this.byEvent.get(name) ?? []) this.fire(id, { kind: 'event', event: name, ...data });
  }

  /** An entity changed: fire, or start or drop a `for:` deadline. */
  stateChanged(entity: Entity, oldState: string | null): void {
    const now = this.ctx.clock.now();
    const demo = this.ctx.settings.get().hub.demo;
    // A selection's `for:` deadline is kept per entity (path `index:entity`), so two doors are two deadlines.
    const watching = [
      ...(this.byEntity.get(entity.id) ?? []).map((w) => ({ ...w, path: String(w.index) })),
      ...this.bySelector.filter((w) => selects(w.sel, entity, demo)).map((w) => ({ ...w, path: `${w.index}:${entity.id}` })),
    ];
    for (const { wf, index, path } of watching) {
      const t = wf.def.triggers[index]!;
      let hit: boolean;
      let holds: boolean;
      if ('state' in t) {
        hit = matchesState(t, oldState, entity.state);
        holds = t.to === undefined ? !hit && oldState === entity.state : t.to === entity.state;
      } else if ('numeric' in t) {
        holds = inRange(t, entity.state);
        hit = holds && !inRange(t, oldState);
      } else continue;
      const fired: Fired = { kind: 'state' in t ? 'state' : 'numeric', entity_id: entity.id, name: entity.name, from: oldState, to: entity.state };
      const duration = 'for' in t ? t.for : undefined;
      if (hit && duration) {
        this.store.setTimer({
          id: newId('wft'),
          kind: 'for',
          workflow_id: wf.id,
          run_id: null,
          path,
          due_at: now + duration,
          data: JSON.stringify(fired),
        });
        this.wake();
      } else if (hit) this.fire(wf.id, fired);
      else if (!holds && duration) this.store.clearTimer(wf.id, 'for', null, path);
    }
  }

  /** A `for:` deadline or a schedule slot is due. `running` is false for slots missed while the hub was down. */
  due(timer: TimerRow, def: WorkflowDefinition | undefined, entities: { get(id: string): Entity | undefined }, catchUp: (due: number) => boolean): void {
    const index = Number(String(timer.path).split(':')[0]);
    const t = def?.triggers[index];
    const now = this.ctx.clock.now();
    if (!t) {
      this.store.clearTimer(timer.workflow_id, timer.kind, null, timer.path);
      return;
    }
    if (timer.kind === 'for') {
      this.store.clearTimer(timer.workflow_id, 'for', null, timer.path);
      const fired = JSON.parse(timer.data) as Fired;
      const state = entities.get(String(fired.entity_id))?.state ?? null;
      const still = 'state' in t ? (t.to === undefined ? state === fired.to : state === t.to) : 'numeric' in t ? inRange(t, state) : false;
      if (still) this.fire(timer.workflow_id, { ...fired, for_ms: 'for' in t ? t.for : 0 });
      return;
    }
    // A schedule: each slot runs once. Slots missed while down follow the workflow's catch-up policy.
    let slot = timer.due_at;
    let missed = 0;
    let ran = false;
    while (slot <= now) {
      if (catchUp(slot)) {
        this.fire(timer.workflow_id, { kind: 'cron' in t ? 'cron' : 'sun', due_at: new Date(slot).toISOString(), ...(missed > 0 || ran ? {} : {}) });
        ran = true;
      } else missed++;
      const next = this.next(t, slot);
      if (next === undefined) {
        this.store.clearTimer(timer.workflow_id, 'schedule', null, timer.path);
        return;
      }
      slot = next;
    }
    this.store.setTimer({ ...timer, due_at: slot });
  }
}
