import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirOwner, matchOwner } from '../data-dir.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Stopping and starting the hub around an update: systemd's unit, or the pid in the data directory's lock. */
export interface HubControl {
  readonly kind: 'systemd' | 'process';
  /** Stops the hub if it runs; resolves once it has exited. */
  stop(): Promise<void>;
  /** Starts the hub from `<prefix>/current`; `exited` resolves with a sentence if it stops on its own. */
  start(): { exited: Promise<string> };
}

/** The hub as a systemd unit (`hearth.service`): systemctl stops and starts it. */
export class SystemdControl implements HubControl {
  readonly kind = 'systemd';
  constructor(private readonly unit = 'hearth.service') {}

  static available(unit = 'hearth.service'): boolean {
    if (!existsSync('/run/systemd/system')) return false;
    return spawnSync('systemctl', ['cat', unit], { stdio: 'ignore' }).status === 0;
  }

  stop(): Promise<void> {
    const r = spawnSync('systemctl', ['stop', this.unit], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`systemctl stop ${this.unit} failed: ${r.stderr.trim()}`);
    return Promise.resolve();
  }

  start(): { exited: Promise<string> } {
    // Type=notify: start returns once the hub said READY=1, or failed.
    const r = spawnSync('systemctl', ['start', this.unit], { encoding: 'utf8' });
    if (r.status !== 0) return { exited: Promise.resolve(`systemctl start ${this.unit} failed: ${r.stderr.trim() || `exit ${r.status}`}`) };
    return {
      exited: (async () => {
        for (;;) {
          await sleep(1000);
          if (spawnSync('systemctl', ['is-failed', '--quiet', this.unit]).status === 0) return `${this.unit} failed after it started`;
        }
      })(),
    };
  }
}

/**
 * The hub as a plain process (no systemd: a container, a test, a box run by hand). The hub
 * writes its pid into `<data>/hearth.lock`; the updater sends it SIGTERM and starts the new
 * release detached, its output appended to `<data>/hearth.out`.
 */
export class ProcessControl implements HubControl {
  readonly kind = 'process';
  private child?: ChildProcess;
  constructor(
    private readonly prefix: string,
    private readonly dataDir: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  pid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dataDir, 'hearth.lock'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    // The lock's pid; or the one this updater started, if it has not taken the lock yet.
    const pid = this.pid() ?? (this.child?.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined);
    if (pid === undefined) return;
    process.kill(pid, 'SIGTERM');
    // The hub stops each part within 5 s and all within 20 s; then it is killed.
    for (let waited = 0; alive(pid); waited += 100) {
      if (waited >= 25_000) process.kill(pid, 'SIGKILL');
      await sleep(100);
    }
  }

  start(): { exited: Promise<string> } {
    const out = openSync(join(this.dataDir, 'hearth.out'), 'a', 0o600);
    matchOwner(join(this.dataDir, 'hearth.out'), this.dataDir);
    // Run as root (sudo) for a data directory that belongs to the hub's user: the hub runs as that user.
    const owner = dataDirOwner(this.dataDir);
    const child = spawn(process.execPath, ['--max-semi-space-size=2', '--v8-pool-size=1', join(this.prefix, 'current/bin/hearth.js'), 'start', ...this.args], {
      detached: true,
      stdio: ['ignore', out, out],
      env: this.env,
      ...owner,
    });
    closeSync(out);
    child.unref();
    this.child = child;
    return {
      exited: new Promise((resolve) => {
        child.on('error', (err) => resolve(`could not start: ${err.message}`));
        child.on('exit', (code, signal) =>
          resolve(`the hub exited ${signal ? `on ${signal}` : `with code ${code}`} ${lastLines(join(this.dataDir, 'hearth.out'))}`.trim()),
        );
      }),
    };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The last lines the hub wrote, for the reason a person reads. */
function lastLines(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').slice(-3);
    return lines.length ? `(last output: ${lines.join(' | ').slice(-300)})` : '';
  } catch {
    return '';
  }
}
