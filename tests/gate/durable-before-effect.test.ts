import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/store/database.js';
import { commitsFor } from '../../src/store/commits.js';
import type { Entity } from '../../src/devices/model.js';
import type { EntityRegistry } from '../../src/devices/registry.js';
import type { ActionGate } from '../../src/gate/gate.js';
import type { TestHub } from '../helpers/hub.js';
import { TestAdapter, startGateHub, type GateHub } from './support.js';

/**
 * The audit entry of an action is on disk before the action reaches the device, with group
 * commit too. The device at the edge of the test looks into the real SQLite file through a
 * second connection at the moment each command arrives: that connection sees only what was
 * committed, so an entry still waiting for its COMMIT is missing there.
 */
class WitnessAdapter extends TestAdapter {
  /** For each command: the entity, and the audit entries (kind + subject) committed when it came. */
  readonly seen: { entity_id: string; committed: Set<string> }[] = [];
  private reader?: Database.Database;

  constructor(
    registry: EntityRegistry,
    private readonly file: string,
  ) {
    super(registry);
  }

  override async execute(entity: Entity, operation: string, params: Record<string, unknown>): Promise<void> {
    this.reader ??= new Database(this.file, { readonly: true, fileMustExist: true });
    const rows = this.reader.prepare("SELECT kind, subject FROM audit WHERE kind IN ('action.requested', 'approval.executing')").all() as {
      kind: string;
      subject: string;
    }[];
    this.seen.push({ entity_id: entity.id, committed: new Set(rows.map((r) => `${r.kind} ${r.subject}`)) });
    return super.execute(entity, operation, params);
  }

  override stop(): void {
    super.stop();
    this.reader?.close();
  }
}

let t: TestHub | undefined;
let gate: ActionGate | undefined;
let adapter: WitnessAdapter | undefined;
afterEach(async () => {
  await gate?.stop();
  adapter?.stop();
  await t?.stop();
  t = gate = adapter = undefined;
});

async function setUp(): Promise<GateHub<WitnessAdapter>> {
  const h = await startGateHub({
    others: [
      { username: 'adam', role: 'adult' },
      { username: 'owen', role: 'owner' },
    ],
    adapter: (registry, hub) => new WitnessAdapter(registry, join(hub.dataDir, DATABASE_FILE)),
  });
  ({ t, gate, adapter } = h);
  for (let i = 0; i < 20; i++) h.registry.upsert({ id: `light.room_${i}`, name: `Room ${i}`, domain: 'light', state: 'off', source: 'test' });
  return h;
}

describe('an action and its audit entry', () => {
  it('twenty low-risk actions asked at once: each request entry is committed before its command reaches the device', async () => {
    const { gate, adapter, people } = await setUp();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gate.request({ action: { entity_id: `light.room_${i}`, operation: 'turn_on' }, origin: { member_id: people.adam!.id, channel: 'web' } }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(Array(20).fill('executed'));
    expect(adapter.seen).toHaveLength(20);
    for (const [i, o] of outcomes.entries()) {
      const at = adapter.seen.find((s) => s.entity_id === `light.room_${i}`)!;
      expect(at.committed.has(`action.requested ${(o as { action_id: string }).action_id}`)).toBe(true);
    }
    // And the chain the group commits wrote is whole.
    expect(t!.hub.ctx.audit.verify()).toMatchObject({ ok: true });
  });

  it('an approved unlock: the approval and its `executing` step are committed before the lock gets the command', async () => {
    const { gate, adapter, people } = await setUp();
    const asked = await gate.request({ action: { entity_id: 'lock.front_door', operation: 'unlock' }, origin: { member_id: people.adam!.id, channel: 'web' } });
    if (asked.status !== 'pending') throw new Error(`expected an envelope, got ${asked.status}`);
    const done = await gate.decide(asked.approval_id, { member_id: people.owen!.id, decision: 'approve', channel: 'telegram' });
    expect(done.state).toBe('executed');
    expect(adapter.seen).toHaveLength(1);
    expect(adapter.seen[0]!.committed.has(`approval.executing ${asked.approval_id}`)).toBe(true);
    const kinds = t!.hub.ctx.audit
      .list({ subject: asked.approval_id })
      .entries.reverse()
      .map((e) => e.kind);
    expect(kinds).toEqual(['approval.requested', 'approval.decided', 'approval.executing', 'action.executed', 'approval.executed']);
    expect(t!.hub.ctx.audit.verify()).toMatchObject({ ok: true });
  });

  it('the disk fails the fsync of the request entry: the command never reaches the device, and the caller hears the error', async () => {
    const { gate, adapter, people } = await setUp();
    commitsFor(t!.hub.ctx.store.db).useFileSync((_fd, done) => setImmediate(() => done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }))));
    await expect(
      gate.request({ action: { entity_id: 'light.room_0', operation: 'turn_on' }, origin: { member_id: people.adam!.id, channel: 'web' } }),
    ).rejects.toThrow('EIO');
    expect(adapter.seen).toHaveLength(0);
    // The next action is audited with synchronous FULL commits and runs.
    const next = await gate.request({ action: { entity_id: 'light.room_1', operation: 'turn_on' }, origin: { member_id: people.adam!.id, channel: 'web' } });
    expect(next.status).toBe('executed');
    expect(adapter.seen.map((s) => s.entity_id)).toEqual(['light.room_1']);
  });
});
