import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { REPO, tempDir } from '../helpers/hub.js';
import { SLOW_TEST_MS } from './slow.js';
import { setupOwner } from './owner.js';

/**
 * `hearth update` end to end, without systemd: three releases packed by scripts/release.mjs from
 * this build under three version strings (the last one broken on purpose), installed into a
 * temporary prefix; the hub runs as a process the updater stops by the pid in its lock.
 * Needs `npm run build` first.
 */
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function pack(out: string, version: string): string {
  execFileSync(process.execPath, [join(REPO, 'scripts/release.mjs'), '--out', out, '--version', version, '--without-modules'], { stdio: 'ignore' });
  return join(out, `hearth-${version}.tar.gz`);
}

/** A release whose hub exits at once, as a build with a fatal bug would. */
function breakRelease(out: string, tarball: string, version: string): void {
  const work = join(out, 'broken');
  mkdirSync(work);
  execFileSync('tar', ['-xzf', tarball, '-C', work]);
  writeFileSync(join(work, `hearth-${version}/dist/bundle/hearth.mjs`), "process.stderr.write('this build is broken\\n'); process.exit(1);\n");
  execFileSync('tar', ['-czf', tarball, '-C', work, `hearth-${version}`]);
  rmSync(work, { recursive: true });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function run(prefix: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(prefix, 'current/bin/hearth.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

async function health(url: string): Promise<{ status: string; version: string }> {
  return (await (await fetch(`${url}/api/v1/health`)).json()) as { status: string; version: string };
}

describe('hearth update', () => {
  let dir: string;
  let prefix: string;
  let data: string;
  let env: NodeJS.ProcessEnv;
  let url: string;
  const releases: Record<string, { file: string; sha: string }> = {};

  beforeAll(async () => {
    dir = tempDir('hearth-update-');
    prefix = join(dir, 'opt');
    data = join(dir, 'data');
    const out = join(dir, 'out');
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) releases[v] = { file: pack(out, v), sha: '' };
    breakRelease(out, releases['1.2.0']!.file, '1.2.0');
    for (const r of Object.values(releases)) r.sha = sha256(r.file);
    // The first install, as the installer lays it out: releases/<version>, current → it.
    mkdirSync(join(prefix, 'releases'), { recursive: true });
    execFileSync('tar', ['-xzf', releases['1.0.0']!.file, '-C', join(prefix, 'releases')]);
    renameSync(join(prefix, 'releases/hearth-1.0.0'), join(prefix, 'releases/1.0.0'));
    symlinkSync(join(REPO, 'node_modules'), join(prefix, 'releases/1.0.0/node_modules')); // this build's modules
    symlinkSync('releases/1.0.0', join(prefix, 'current'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HEARTH_DATA_DIR: data,
      HEARTH_HTTP_HOST: '127.0.0.1',
      HEARTH_HTTP_PORT: String(port),
      HEARTH_MQTT_HOST: '127.0.0.1',
      HEARTH_MQTT_PORT: '0',
      HEARTH_HUB_LOG_FORMAT: 'json',
      HEARTH_HUB_DEMO: 'false',
    };
  }, SLOW_TEST_MS);

  afterAll(() => {
    // The hub the updater started last runs detached: stop it by the pid in its lock.
    const lock = join(data, 'hearth.lock');
    if (existsSync(lock)) {
      try {
        process.kill(Number(readFileSync(lock, 'utf8').trim()), 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const audit = () => {
    const db = new Database(join(data, 'hearth.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT kind, actor, data FROM audit WHERE kind LIKE 'hub.update.%' ORDER BY seq").all() as {
        kind: string;
        actor: string;
        data: string;
      }[];
    } finally {
      db.close();
    }
  };

  it(
    'refuses a release whose SHA-256 differs, then updates to a good build and rolls back from a broken one by itself, auditing both',
    async () => {
      // 1.0.0 runs, started the way the updater starts a hub without systemd.
      const first = await run(prefix, ['update', releases['1.1.0']!.file, '--sha256', '0'.repeat(64), '--no-systemd', '--timeout', '60'], env);
      expect(first.code).toBe(65); // nothing unpacked, nothing stopped
      expect(first.out).toMatch(/SHA-256 is [0-9a-f]{64}, not 0{64}: refusing/);
      expect(readdirSync(join(prefix, 'releases'))).toEqual(['1.0.0']);

      const hub = spawn(process.execPath, [join(prefix, 'current/bin/hearth.js'), 'start'], { env, stdio: 'ignore', detached: true });
      hub.unref();
      await waitFor(async () => (await health(url).catch(() => null))?.version === '1.0.0');
      await setupOwner(url, data);

      const good = await run(prefix, ['update', releases['1.1.0']!.file, '--sha256', releases['1.1.0']!.sha, '--no-systemd', '--timeout', '60'], env);
      expect(good.code, good.out).toBe(0);
      expect(good.out).toMatch(/1\.1\.0 is running and healthy/);
      expect(await health(url)).toMatchObject({ version: '1.1.0' });
      expect(readlinkSync(join(prefix, 'current'))).toBe('releases/1.1.0');
      expect(readdirSync(join(prefix, 'releases')).sort()).toEqual(['1.0.0', '1.1.0']);
      expect(audit().map((e) => e.kind)).toEqual(['hub.update.started', 'hub.update.installed']);

      const bad = await run(prefix, ['update', releases['1.2.0']!.file, '--sha256', releases['1.2.0']!.sha, '--no-systemd', '--timeout', '60'], env);
      expect(bad.code, bad.out).toBe(70);
      expect(bad.out).toMatch(/the update to 1\.2\.0 was rolled back: the hub exited with code 1/);
      expect(bad.out).toMatch(/this build is broken/);
      // The previous release runs again, on the database from before the update.
      expect(await health(url)).toMatchObject({ version: '1.1.0' });
      expect(readlinkSync(join(prefix, 'current'))).toBe('releases/1.1.0');
      const trail = audit();
      expect(trail.map((e) => e.kind)).toEqual(['hub.update.started', 'hub.update.installed', 'hub.update.started', 'hub.update.rolled_back']);
      expect(JSON.parse(trail[3]!.data)).toMatchObject({ from: '1.1.0', to: '1.2.0', reason: expect.stringMatching(/exited with code 1/) });
      expect(trail[3]!.actor).toMatch(/^os:/);
      // The owner is told why, through the notification router, by the hub that came back.
      await waitFor(() => notices().length > 0);
      expect(notices()[0]!.text).toMatch(/The update to Hearth 1\.2\.0 did not work, so the hub went back to 1\.1\.0 .*exited with code 1/);
      // The trail still verifies after the rollback.
      const verify = await run(prefix, ['audit', 'verify'], env);
      expect(verify.code, verify.out).toBe(0);
    },
    SLOW_TEST_MS,
  );

  const notices = () => {
    const db = new Database(join(data, 'hearth.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT text FROM notifications WHERE kind = 'hub.update_rolled_back'").all() as { text: string }[];
    } finally {
      db.close();
    }
  };
});

async function waitFor(check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 100));
  }
}
