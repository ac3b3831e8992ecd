import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { Hub, type HubOptions } from '../../src/hub/hub.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO, 'bin/hearth.js');

export function tempDir(prefix = 'hearth-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Log lines a test hub wrote, parsed, for assertions about logging and redaction. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      this.raw.push(line);
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not JSON */
      }
    }
    done();
  }
}

export interface TestHub {
  hub: Hub;
  url: string;
  dataDir: string;
  logs: LogCapture;
  stop(): Promise<void>;
}

/**
 * A real hub in this process on a temp data directory and free ports, with no demo home
 * unless asked. Settings go in through `settings` (the same layer as command-line flags).
 */
export async function startTestHub(options: { settings?: Record<string, unknown>; dataDir?: string } & Omit<HubOptions, 'flags'> = {}): Promise<TestHub> {
  const dataDir = options.dataDir ?? tempDir();
  const logs = new LogCapture();
  const base = {
    hub: { data_dir: dataDir, demo: false, log_level: 'info', log_format: 'json' },
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
  };
  const flags = deepMerge(base, options.settings ?? {});
  const hub = await Hub.create({ ...options, env: options.env ?? {}, flags, logDestination: options.logDestination ?? logs, cwd: options.cwd ?? dataDir });
  await hub.start();
  const url = `http://127.0.0.1:${hub.http.boundPort}`;
  return {
    hub,
    url,
    dataDir,
    logs,
    stop: async () => {
      await hub.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `hearth` binary (npm test builds first) and collects its output. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface HubProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * `hearth start` as a real process; resolves once it logs that it is ready. Pass settings
 * through env (HEARTH_*) or args; HTTP and MQTT default to free ports on loopback.
 */
export function spawnHub(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<HubProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-semi-space-size=2', '--v8-pool-size=1', BIN, 'start', ...args], {
      cwd: options.cwd ?? REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HEARTH_HTTP_HOST: '127.0.0.1',
        HEARTH_HTTP_PORT: '0',
        HEARTH_MQTT_HOST: '127.0.0.1',
        HEARTH_MQTT_PORT: '0',
        HEARTH_HUB_LOG_FORMAT: 'json',
        HEARTH_HUB_DEMO: 'false',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let settled = false;
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`hub did not become ready:\n${out}`));
    }, options.timeoutMs ?? 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http[^"]+)"[^\n]*"msg":"hearth is ready"/.exec(out);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, url: m[1]!.replace('0.0.0.0', '127.0.0.1'), output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code} before it was ready:\n${out}`));
    });
  });
}
