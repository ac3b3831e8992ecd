import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tempDir, type HubProcess } from '../helpers/hub.js';
import { runCli, spawnHub, SLOW_TEST_MS } from './slow.js';

const portsEnv = { HEARTH_HTTP_PORT: '0', HEARTH_MQTT_PORT: '0', HEARTH_HTTP_HOST: '127.0.0.1', HEARTH_MQTT_HOST: '127.0.0.1', HEARTH_HUB_DEMO: 'false' };
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);

async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the hub as a process', { timeout: SLOW_TEST_MS }, () => {
  const dirs: string[] = [];
  const procs: HubProcess[] = [];
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('stops cleanly on SIGTERM: exit 0, "hearth stopped" logged, lock removed', async () => {
    const data = dir();
    const hub = await spawnHub(['--data', data]);
    procs.push(hub);
    expect(existsSync(join(data, 'hearth.lock'))).toBe(true);
    expect(readFileSync(join(data, 'hearth.lock'), 'utf8').trim()).toBe(String(hub.child.pid));
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    expect(hub.output()).toMatch(/"msg":"hearth stopped"/);
    expect(existsSync(join(data, 'hearth.lock'))).toBe(false);
    const verify = await runCli(['audit', 'verify', '--data', data]);
    expect(verify.code).toBe(0);
  });

  it('a second hub on the same data directory refuses with a clear message', async () => {
    const data = dir();
    const first = await spawnHub(['--data', data]);
    procs.push(first);
    const second = await runCli(['start', '--data', data], { env: portsEnv });
    expect(second.code).toBe(75);
    expect(second.stderr).toContain(`another Hearth (pid ${first.child.pid}) is already running on data directory ${data}`);
    noStack(second.stderr);
    // The first is untouched.
    expect((await fetch(`${first.url}/api/v1/health`)).status).toBe(200);
  });

  it('takes over the lock of a hub that was SIGKILLed', async () => {
    const data = dir();
    const first = await spawnHub(['--data', data]);
    procs.push(first);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(join(data, 'hearth.lock'))).toBe(true); // left behind
    const second = await spawnHub(['--data', data]);
    procs.push(second);
    expect(readFileSync(join(data, 'hearth.lock'), 'utf8').trim()).toBe(String(second.child.pid));
    expect((await fetch(`${second.url}/api/v1/health`)).status).toBe(200);
  });

  it('takes over a lock naming a pid that does not exist', async () => {
    const data = dir();
    writeFileSync(join(data, 'hearth.lock'), '4194303\n'); // above any default pid_max in use
    const hub = await spawnHub(['--data', data]);
    procs.push(hub);
    expect(readFileSync(join(data, 'hearth.lock'), 'utf8').trim()).toBe(String(hub.child.pid));
  });

  it('a data directory it cannot create (read-only place): clear message, non-zero exit, no stack', async () => {
    // Root ignores chmod, but not sysfs: nothing can be created under /sys.
    const r = await runCli(['start', '--data', `/sys/hearth-test-${process.pid}`], { env: portsEnv });
    expect(r.code).toBe(73);
    expect(r.stderr).toMatch(/data directory \/sys\/hearth-test-\d+ is not usable: (EPERM|EACCES|EROFS)/);
    expect(r.stderr).toMatch(/may write to it/);
    noStack(r.stderr);
  });

  it('a data directory path that is a file: clear message, non-zero exit, no stack', async () => {
    const d = dir();
    const file = join(d, 'not-a-dir');
    writeFileSync(file, 'x');
    for (const data of [file, join(file, 'sub')]) {
      const r = await runCli(['start', '--data', data], { env: portsEnv });
      expect(r.code).toBe(73);
      expect(r.stderr).toContain(`data directory ${data} is not usable`);
      noStack(r.stderr);
    }
  });

  it('a data directory on a disk with no room: says the disk is full, no stack', async () => {
    // /sys reports 0 bytes free; the hub checks free space before it writes anything.
    const r = await runCli(['start', '--data', '/sys'], { env: portsEnv });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/only 0 KiB free|cannot be written|not usable/);
    noStack(r.stderr);
  });

  it('an HTTP port already in use: one clear line, exit 69, no stack, and the lock is released', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const data = dir();
      const r = await runCli(['start', '--data', data], { env: { ...portsEnv, HEARTH_HTTP_PORT: String(port) } });
      expect(r.code).toBe(69);
      expect(r.stderr).toContain(`hearth: the hub could not start: port ${port} is already in use (http.port / HEARTH_HTTP_PORT)`);
      noStack(r.stderr);
      expect(existsSync(join(data, 'hearth.lock'))).toBe(false);
    } finally {
      squatter.close();
    }
  });

  it('talks to systemd: READY=1 with STATUS, WATCHDOG=1 pings, STOPPING=1 on SIGTERM', async () => {
    const unix = createRequire(import.meta.url)('unix-dgram') as {
      createSocket(
        type: 'unix_dgram',
        listener: (buf: Buffer) => void,
      ): { bind(path: string): void; close(): void; on(e: string, cb: (...a: unknown[]) => void): void };
    };
    const data = dir();
    const socketPath = join(data, 'notify.sock');
    const messages: string[] = [];
    const server = unix.createSocket('unix_dgram', (buf) => messages.push(buf.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      server.on('listening', () => resolve());
      server.on('error', (e) => reject(e as Error));
      server.bind(socketPath);
    });
    try {
      const hub = await spawnHub(['--data', join(data, 'd')], { env: { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '1000000' } });
      procs.push(hub);
      await until(() => messages.some((m) => m.includes('READY=1')), 'READY=1');
      const ready = messages.find((m) => m.includes('READY=1'))!;
      expect(ready).toMatch(/STATUS=serving on http:\/\/127\.0\.0\.1:\d+/);
      expect(ready).toContain(`MAINPID=${hub.child.pid}`);
      await until(() => messages.filter((m) => m === 'WATCHDOG=1').length >= 2, 'two watchdog pings');
      hub.child.kill('SIGTERM');
      expect(await hub.exited).toBe(0);
      await until(() => messages.some((m) => m.includes('STOPPING=1')), 'STOPPING=1');
      // READY comes before STOPPING, and nothing after the process ended.
      expect(messages.findIndex((m) => m.includes('READY=1'))).toBeLessThan(messages.findIndex((m) => m.includes('STOPPING=1')));
    } finally {
      server.close();
    }
  });

  it('without NOTIFY_SOCKET it runs the same and health does not list systemd', async () => {
    const hub = await spawnHub(['--data', dir()]);
    procs.push(hub);
    const body = (await (await fetch(`${hub.url}/api/v1/health`)).json()) as { components: Record<string, unknown> };
    expect(body.components).not.toHaveProperty('systemd');
  });
});
