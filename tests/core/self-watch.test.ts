import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/hub.js';
import { addMember, pair, startTgHub, waitMessage, type TgHub } from '../telegram/support.js';
import type { SelfWatch } from '../../src/health/watch.js';

const MiB = 1024 * 1024;

/** A real, small filesystem for the data directory: a 64 MiB tmpfs (the tests run as root). */
function smallDisk(): { dir: string; fillTo(freeMiB: number): void; empty(): void; remove(): void } {
  const dir = tempDir('hearth-disk-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', dir]);
  const filler = join(dir, 'filler.bin');
  return {
    dir,
    fillTo(freeMiB: number) {
      rmSync(filler, { force: true });
      const s = statfsSync(dir);
      const free = s.bavail * s.bsize;
      writeFileSync(filler, Buffer.alloc(Math.max(0, free - freeMiB * MiB)));
    },
    empty: () => rmSync(filler, { force: true }),
    remove() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the hub watches itself', () => {
  let h: TgHub | undefined;
  let disk: ReturnType<typeof smallDisk> | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    disk?.remove();
    disk = undefined;
  });

  it(
    'a filling disk: the owner is warned, then history is trimmed and paused while the trail goes on; all clear when space returns',
    { timeout: 60_000 },
    async () => {
      disk = smallDisk();
      const data = join(disk.dir, 'data');
      mkdirSync(data);
      h = await startTgHub({
        settings: { hub: { data_dir: data }, notify: { unavailable_minutes: 0 }, watch: { interval_s: 3600, disk_free_mb: 40, disk_critical_mb: 20 } },
      });
      const watch = h.t.hub.services.get<SelfWatch>('self-watch')!;
      const health = () => h!.t.hub.services.health()['disk-space']!;
      const olivia = await addMember(h, 'olivia', 'owner');
      await pair(h, olivia, h.tg.user(961, 'Olivia'));
      expect(health().status).toBe('ok');

      const telemetry = h.t.hub.ctx.store.telemetry;
      const history = () => (telemetry.prepare('SELECT COUNT(*) AS n FROM state_history').get() as { n: number }).n;
      const insert = telemetry.prepare("INSERT INTO state_history (entity_id, state, attributes, available, at) VALUES ('light.porch', 'on', '{}', 1, ?)");
      for (let i = 0; i < 100; i++) insert.run(Date.now() - i * 1000);

      disk.fillTo(30); // below the warning line, above the critical one
      watch.check();
      expect(health().status).toBe('degraded');
      expect(health().detail).toMatch(/^Only \d+ MiB free on the data disk \(warning below 40 MiB\)/);
      await waitMessage(h.tg, 961, /Hub health: disk-space is degraded \(Only \d+ MiB free/);
      expect(history()).toBe(100); // a warning trims nothing

      disk.fillTo(12); // critical
      watch.check();
      expect(health().detail).toMatch(/trimmed its history and stopped keeping new history.*the audit trail is kept/);
      expect(history()).toBe(0);
      expect(h.t.hub.ctx.store.essentialOnly).toBe(true);
      const before = h.t.hub.ctx.audit.list({ limit: 1 }).entries[0]!.seq;
      h.t.hub.ctx.audit.append({ actor: 'system', origin: 'system', kind: 'test.still_audited', data: {} });
      expect(h.t.hub.ctx.audit.list({ limit: 1 }).entries[0]!.seq).toBe(before + 1);
      expect(h.t.hub.ctx.audit.list({ kind: 'hub.disk_low', limit: 5 }).entries).toHaveLength(1);

      disk.empty();
      watch.check();
      expect(health().status).toBe('ok');
      expect(h.t.hub.ctx.store.essentialOnly).toBe(false);
      await h.tg.waitFor(
        () => h!.router.list().find((n) => n.kind === 'alert.health' && n.subject === 'alert:health:disk-space' && n.state === 'closed'),
        'the disk alert closed',
      );
    },
  );

  it('a hot CPU, and a database past its size line, each become a plain sentence in health', async () => {
    h = await startTgHub({ settings: { watch: { interval_s: 3600, temperature_c: 70, database_mb: 1 } } });
    const thermal = tempDir('hearth-thermal-');
    mkdirSync(join(thermal, 'thermal_zone0'));
    writeFileSync(join(thermal, 'thermal_zone0', 'temp'), '84250\n');
    const { SelfWatch: Watch } = await import('../../src/health/watch.js');
    const watch = new Watch(h.t.hub.ctx, thermal);
    // A database over 1 MiB: some rows of history.
    const insert = h.t.hub.ctx.store.telemetry.prepare(
      "INSERT INTO state_history (entity_id, state, attributes, available, at) VALUES ('sensor.x', ?, '{}', 1, ?)",
    );
    h.t.hub.ctx.store.telemetry.transaction(() => {
      for (let i = 0; i < 3000; i++) insert.run('x'.repeat(1000), i);
    })();
    h.t.hub.ctx.store.telemetry.pragma('wal_checkpoint(TRUNCATE)');
    watch.check();
    expect(watch.temperature.health()).toEqual({ status: 'degraded', detail: 'The CPU is at 84.3 °C (warning above 70 °C). Give the box some air.' });
    expect(watch.database.health().status).toBe('degraded');
    expect(watch.database.health().detail).toMatch(/^The database has grown to \d+ MiB \(warning above 1 MiB\)/);
    writeFileSync(join(thermal, 'thermal_zone0', 'temp'), '52000\n');
    watch.check();
    expect(watch.temperature.health()).toEqual({ status: 'ok', detail: 'CPU at 52 °C' });
    rmSync(thermal, { recursive: true, force: true });
  });
});
