import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { freePort } from '../helpers/mosquitto.js';
import { linkOf } from './helpers.js';

describe('the outbox bound and its policy', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('drops the oldest telemetry, then events; never alerts or audit entries; shows it in health and metrics', async () => {
    const closed = await freePort(); // no broker: everything stays queued
    t = await startTestHub({ settings: { link: { url: `mqtts://127.0.0.1:${closed}`, hub_id: 'hub-o', outbox_max_rows: 100 } } });
    const link = linkOf(t);
    const db = t.hub.ctx.store.db;
    const classes = () =>
      Object.fromEntries(
        (db.prepare('SELECT class, COUNT(*) AS n FROM link_outbox GROUP BY class').all() as { class: string; n: number }[]).map((r) => [r.class, r.n]),
      );
    const auditRows = classes().audit ?? 0;
    expect(auditRows).toBeGreaterThan(0); // hub.starting and friends went in with their entries
    expect(auditRows).toBeLessThan(50);

    for (let i = 0; i < 100; i++) link.enqueue('telemetry', 'test.sample', { i });
    for (let i = 0; i < 50; i++) link.enqueue('event', 'test.event', { i });
    expect(classes()).toEqual({ audit: auditRows, telemetry: 50 - auditRows, event: 50 });
    // The oldest telemetry went first.
    const oldest = db.prepare("SELECT payload FROM link_outbox WHERE class = 'telemetry' ORDER BY id LIMIT 1").get() as { payload: string };
    expect(JSON.parse(oldest.payload).data.i).toBe(50 + auditRows);

    for (let i = 0; i < 100; i++) link.enqueue('alert', 'test.alert', { i });
    expect(classes()).toEqual({ audit: auditRows, alert: 100 });
    expect(link.outbox!.depth).toBe(100 + auditRows); // alerts are kept past the bound

    for (let i = 0; i < 10; i++) t.hub.ctx.audit.append({ actor: 'test', origin: 'system', kind: 'test.kept', data: { i } });
    expect(classes().audit).toBe(auditRows); // no room: the entries wait in the audit table, in order
    expect(link.outbox!.auditBacklog()).toBe(10);

    const health = (await (await fetch(`${t.url}/api/v1/health`)).json()) as { components: Record<string, { status: string; detail: string }> };
    expect(health.components.link?.status).toBe('degraded');
    expect(health.components.link?.detail).toMatch(/10 audit entries waiting for room/);
    expect(health.components.link?.detail).toMatch(/150 low-priority rows dropped/);
    expect(health.components.link?.detail).toMatch(/outbox over its bound/);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/hearth_link_outbox_dropped_total\{class="telemetry"\} 100\b/);
    expect(metrics).toMatch(/hearth_link_outbox_dropped_total\{class="event"\} 50\b/);
    expect(metrics).toMatch(new RegExp(`hearth_link_outbox_depth ${100 + auditRows}\\b`));
  });
});
