import type { EventBus } from '../core/bus.js';
import { HearthError, errorMessage } from '../core/errors.js';
import type { DeviceAdapter, Entity } from '../devices/model.js';
import { expectedState } from '../devices/operations.js';
import type { EntityRegistry } from '../devices/registry.js';
import type { Action, OutcomeDetail, SystemAction } from './model.js';

export interface ExecResult {
  status: 'executed' | 'unconfirmed' | 'failed';
  entity: Entity | null;
  detail: OutcomeDetail;
}

export interface ExecutorDeps {
  registry: EntityRegistry;
  adapters: ReadonlyMap<string, DeviceAdapter>;
  bus: EventBus;
  systemActions: ReadonlyMap<string, SystemAction>;
  confirmTimeoutMs: () => number;
}

/** Told once the command was handed on (or failed to be), before the wait for its effect. */
export type SentHook = (error?: string) => void;

/**
 * The one module that calls an adapter's command path (tests/gate/command-path.test.ts
 * enforces it). It sends the command and then watches the registry until the entity reports
 * the state that proves the effect, or the confirmation timeout passes.
 */
export class Executor {
  /** Waits in progress, so that stop() ends them instead of leaving timers behind. */
  private readonly waits = new Set<() => void>();
  private stopped = false;

  constructor(private readonly deps: ExecutorDeps) {}

  async run(action: Action, onSent: SentHook): Promise<ExecResult> {
    const system = this.deps.systemActions.get(systemKey(action.entity_id, action.operation));
    if (system) return this.runSystem(system, action, onSent);
    const entity = this.deps.registry.get(action.entity_id);
    if (!entity) return { status: 'failed', entity: null, detail: { code: 'UNKNOWN_ENTITY', message: `${action.entity_id} is not known` } };
    const adapter = this.deps.adapters.get(entity.source);
    if (!adapter) {
      onSent(`no adapter for source ${entity.source}`);
      return { status: 'failed', entity, detail: { code: 'NO_ADAPTER', message: `nothing can command ${entity.id} (source ${entity.source} is not running)` } };
    }
    const expected = expectedState(entity, action.operation, action.params) ?? null;
    // Listen before sending: a fast device may report before execute() resolves.
    const wait = this.waitFor(entity.id, expected);
    try {
      await adapter.execute(entity, action.operation, action.params);
    } catch (err) {
      wait.cancel();
      onSent(errorMessage(err));
      return {
        status: 'failed',
        entity: this.deps.registry.get(entity.id) ?? entity,
        detail: { code: 'ADAPTER_ERROR', message: errorMessage(err), expected_state: expected },
      };
    }
    onSent();
    const confirmed = await wait.done;
    const now = this.deps.registry.get(entity.id) ?? entity;
    if (confirmed) {
      return {
        status: 'executed',
        entity: now,
        detail: {
          message: expected ? `${entity.id} reports ${now.state}` : `${entity.id} reported a change`,
          expected_state: expected,
          observed_state: now.state,
        },
      };
    }
    const why = this.stopped ? 'the hub stopped before' : `within ${Math.round(this.deps.confirmTimeoutMs() / 100) / 10} s`;
    return {
      status: 'unconfirmed',
      entity: now,
      detail: {
        code: 'NOT_CONFIRMED',
        message: `${entity.id} did not report ${expected ?? 'a change'} ${why}`,
        expected_state: expected,
        observed_state: now.state,
      },
    };
  }

  /** Ends every wait as unconfirmed and refuses new ones; no timer outlives the hub. */
  stop(): void {
    this.stopped = true;
    for (const end of [...this.waits]) end();
  }

  private async runSystem(system: SystemAction, action: Action, onSent: SentHook): Promise<ExecResult> {
    let observed: void | string;
    try {
      observed = await system.run(action.params);
    } catch (err) {
      onSent(errorMessage(err));
      // A hub change that no longer applies (the username was taken meanwhile) keeps its own code.
      return { status: 'failed', entity: null, detail: { code: err instanceof HearthError ? err.code : 'ACTION_ERROR', message: errorMessage(err) } };
    }
    onSent();
    // A hub action's effect is its own completion: run() resolves when it is done.
    const described = system.describe(action.params);
    return { status: 'executed', entity: null, detail: { message: typeof observed === 'string' ? `${described}: ${observed}` : described } };
  }

  private waitFor(entityId: string, expected: string | null): { done: Promise<boolean>; cancel: () => void } {
    let finish!: (ok: boolean) => void;
    const done = new Promise<boolean>((resolve) => (finish = resolve));
    if (this.stopped) return { done: Promise.resolve(false), cancel: () => {} };
    const off = this.deps.bus.on('entity.state_changed', ({ entity }) => {
      if (entity.id !== entityId) return;
      if (expected === null || entity.state === expected) end(true);
    });
    const timer = setTimeout(() => end(false), this.deps.confirmTimeoutMs());
    const end = (ok: boolean) => {
      clearTimeout(timer);
      off();
      this.waits.delete(abort);
      finish(ok);
    };
    const abort = () => end(false);
    this.waits.add(abort);
    // Already in the expected state (it got there between the listen and now, or it was there).
    const current = this.deps.registry.get(entityId);
    const check = () => {
      if (expected !== null && this.deps.registry.get(entityId)?.state === expected) end(true);
    };
    if (current) queueMicrotask(check);
    return { done, cancel: abort };
  }
}

export const systemKey = (entityId: string, operation: string): string => `${entityId}:${operation}`;
