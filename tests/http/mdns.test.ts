import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO, startTestHub, tempDir } from '../helpers/hub.js';

/**
 * A phone on the home Wi-Fi finds the hub by name. The hub runs in a network namespace of its
 * own, joined to the "phone's" namespace by a veth pair, so the multicast stays inside this test.
 */
describe('hearth.local over mDNS', () => {
  const id = String(process.pid % 100000);
  const hubNs = `hh${id}`;
  const phoneNs = `hp${id}`;
  const dir = tempDir();
  let hub: ChildProcess | undefined;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

  beforeAll(async () => {
    ip('netns', 'add', hubNs);
    ip('netns', 'add', phoneNs);
    ip('link', 'add', `hv${id}a`, 'netns', hubNs, 'type', 'veth', 'peer', 'name', `hv${id}b`, 'netns', phoneNs);
    for (const [ns, dev, addr] of [
      [hubNs, `hv${id}a`, '10.77.0.1/24'],
      [phoneNs, `hv${id}b`, '10.77.0.2/24'],
    ] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', addr, 'dev', dev);
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev);
    }
    hub = spawn('ip', ['netns', 'exec', hubNs, process.execPath, '--v8-pool-size=1', BIN, 'start'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HEARTH_DATA_DIR: join(dir, 'data'),
        HEARTH_HTTP_HOST: '0.0.0.0',
        HEARTH_HTTP_PORT: '8080',
        HEARTH_MQTT_HOST: '127.0.0.1',
        HEARTH_MQTT_PORT: '0',
        HEARTH_HUB_DEMO: 'false',
        HEARTH_HUB_NAME: 'Maple Street',
        HEARTH_HUB_LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the hub did not start:\n${out}`)), 60_000);
      hub!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('announced on the home network')) {
          clearTimeout(timer);
          resolve();
        }
      });
      hub!.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      hub!.on('exit', (code) => reject(new Error(`the hub exited with ${code}:\n${out}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (hub && hub.exitCode === null) {
      hub.kill('SIGTERM');
      await new Promise((r) => hub!.once('exit', r));
    }
    for (const ns of [hubNs, phoneNs]) {
      try {
        ip('netns', 'delete', ns);
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a query from another host finds the web UI as Maple Street Hearth at hearth.local:8080, and it answers there', async () => {
    const script = join(dir, 'phone.mjs');
    writeFileSync(
      script,
      `
import { createRequire } from 'node:module';
const mdns = createRequire(${JSON.stringify(join(REPO, 'package.json'))})('multicast-dns')({ interface: '10.77.0.2', bind: '0.0.0.0' });
const seen = { ptr: [], srv: [], a: [] };
mdns.on('response', (res) => {
  for (const r of [...res.answers, ...res.additionals]) {
    if (r.type === 'PTR' && r.name === '_http._tcp.local') seen.ptr.push(r.data);
    if (r.type === 'SRV') seen.srv.push({ name: r.name, ...r.data });
    if (r.type === 'A' && r.name === 'hearth.local') seen.a.push(r.data);
  }
});
mdns.query({ questions: [{ name: '_http._tcp.local', type: 'PTR' }, { name: 'hearth.local', type: 'A' }] });
await new Promise((r) => setTimeout(r, 2500));
mdns.destroy();
const addr = seen.a[0];
const health = addr ? await (await fetch('http://' + addr + ':8080/api/v1/health')).json() : null;
process.stdout.write(JSON.stringify({ ...seen, health }));
`,
    );
    const out = execFileSync('ip', ['netns', 'exec', phoneNs, process.execPath, script], { encoding: 'utf8', timeout: 30_000 });
    const found = JSON.parse(out) as { ptr: string[]; srv: { name: string; port: number; target: string }[]; a: string[]; health: { status: string } | null };
    expect(found.ptr).toContain('Maple Street Hearth._http._tcp.local');
    expect(found.srv).toContainEqual(expect.objectContaining({ name: 'Maple Street Hearth._http._tcp.local', port: 8080, target: 'hearth.local' }));
    expect(new Set(found.a)).toEqual(new Set(['10.77.0.1'])); // answered more than once (answer and additional): the same address
    expect(found.health?.status).toBe('ok');
  });

  it('says why it does not announce a hub that listens on loopback only, or that the owner switched off', async () => {
    const loop = await startTestHub();
    expect(loop.hub.services.health().mdns).toEqual({ status: 'disabled', detail: 'not announced: the web UI listens on 127.0.0.1 only' });
    await loop.stop();
    const off = await startTestHub({ settings: { http: { host: '0.0.0.0' }, mdns: { enabled: false } } });
    expect(off.hub.services.health().mdns).toEqual({ status: 'disabled', detail: 'off (mdns.enabled)' });
    await off.stop();
  });
});
