import { createServer } from 'node:net';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage } from '../core/errors.js';
import { systemClock } from '../core/clock.js';
import { loadSettings } from '../config/load.js';
import { parseSettings } from '../config/load.js';
import { deepMerge, type PlainObject } from '../config/merge.js';
import { SecretBox } from '../config/secret-box.js';
import type { Settings } from '../config/schema.js';
import { DATABASE_FILE, freeBytes } from '../store/database.js';
import { AuditTrail } from '../audit/trail.js';
import type { CheckResult } from '../config/checks.js';
import { allTables, partChecks } from './parts.js';

export type { CheckResult as DoctorResult, CheckStatus } from '../config/checks.js';
type DoctorResult = CheckResult;

export interface DoctorOptions {
  config?: string;
  data?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Per network check. */
  timeoutMs?: number;
}

const MIN_FREE = 16 * 1024 * 1024; // the hub refuses to start below this
const WARN_FREE = 256 * 1024 * 1024;

/**
 * Every check, in order; none throws. Support diagnostics call this too, so each detail
 * must be safe to show to an engineer: no secret ever goes into one.
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorResult[]> {
  const out: DoctorResult[] = [];
  const env = options.env ?? process.env;
  let settings: Settings;
  let base: PlainObject;
  try {
    const loaded = loadSettings({ file: options.config, flags: options.data ? { hub: { data_dir: options.data } } : {}, env, cwd: options.cwd });
    settings = loaded.settings;
    base = loaded.base;
    out.push({ check: 'settings', status: 'ok', detail: loaded.file ? `loaded from ${loaded.file}` : 'no config file; embedded defaults and environment' });
  } catch (err) {
    out.push({ check: 'settings', status: 'fail', detail: errorMessage(err).replace(/\n/g, '; ') });
    return out; // everything below depends on the settings
  }
  const dataDir = resolve(options.cwd ?? process.cwd(), settings.hub.data_dir);
  out.push(dataDirCheck(dataDir), diskCheck(dataDir));
  const running = runningHubPid(dataDir);
  const db = databaseChecks(dataDir, base);
  out.push(...db.results);
  const effective = db.effective ?? settings;
  out.push(await portCheck('http port', effective.http.host, effective.http.port, effective.http.port, running));
  if (effective.mqtt.enabled) {
    out.push(await portCheck('mqtt port', effective.mqtt.host, effective.mqtt.port, effective.http.port, running));
    if (effective.mqtt.tls_port !== undefined)
      out.push(await portCheck('mqtt tls port', effective.mqtt.host, effective.mqtt.tls_port, effective.http.port, running));
  }
  out.push(...filesCheck(effective));
  // Every part's checks, one after the other (each is quick or bounded by the timeout).
  for (const check of partChecks) out.push(await check.run(effective, options.timeoutMs ?? 5000));
  return out;
}

function dataDirCheck(dataDir: string): DoctorResult {
  const check = 'data directory';
  if (!existsSync(dataDir)) return { check, status: 'warn', detail: `${dataDir} does not exist yet (the first start creates it)` };
  try {
    if (!statSync(dataDir).isDirectory()) return { check, status: 'fail', detail: `${dataDir} is not a directory` };
    accessSync(dataDir, constants.R_OK | constants.W_OK);
  } catch (err) {
    return { check, status: 'fail', detail: `${dataDir} is not writable: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}` };
  }
  const mode = statSync(dataDir).mode & 0o777;
  if (mode & 0o007) return { check, status: 'warn', detail: `${dataDir} is open to other users (mode ${mode.toString(8)}); chmod 700 it` };
  return { check, status: 'ok', detail: dataDir };
}

function diskCheck(dataDir: string): DoctorResult {
  let at = dataDir;
  while (!existsSync(at) && resolve(at, '..') !== at) at = resolve(at, '..');
  const free = freeBytes(at);
  if (free === undefined) return { check: 'disk', status: 'warn', detail: `cannot read the free space of ${at}` };
  const mib = Math.round(free / 1024 / 1024);
  if (free < MIN_FREE) return { check: 'disk', status: 'fail', detail: `${mib} MiB free on the data disk; the hub needs at least 16 MiB` };
  if (free < WARN_FREE) return { check: 'disk', status: 'warn', detail: `only ${mib} MiB free on the data disk` };
  return { check: 'disk', status: 'ok', detail: `${mib} MiB free` };
}

function databaseChecks(dataDir: string, base: PlainObject): { results: DoctorResult[]; effective?: Settings } {
  const path = join(dataDir, DATABASE_FILE);
  const check = 'database';
  if (!existsSync(path)) return { results: [{ check, status: 'warn', detail: `no database at ${path} yet (the first start creates it)` }] };
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    return { results: [{ check, status: 'fail', detail: `${path} cannot be opened: ${errorMessage(err)}` }] };
  }
  const results: DoctorResult[] = [];
  let effective: Settings | undefined;
  try {
    const integrity = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    const problems = integrity.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    if (problems.length) {
      results.push({
        check,
        status: 'fail',
        detail: `integrity check failed: ${problems.slice(0, 3).join('; ')} (restore a backup: hearth backup restore FILE)`,
      });
      return { results };
    }
    results.push({ check, status: 'ok', detail: `${path}: integrity ok, ${Math.round(statSync(path).size / 1024)} KiB` });
    results.push(migrationsCheck(db));
    const verify = new AuditTrail(db, systemClock).verify();
    results.push(
      verify.ok
        ? { check: 'audit trail', status: 'ok', detail: `intact, ${verify.count} entries` }
        : { check: 'audit trail', status: 'fail', detail: `broken at entry ${verify.broken.seq}: ${verify.broken.reason}` },
    );
    const row = db.prepare('SELECT doc FROM settings_overrides WHERE id = 1').get() as { doc: string } | undefined;
    if (row) {
      try {
        effective = parseSettings(
          deepMerge(base, SecretBox.open(dataDir).openDoc(JSON.parse(row.doc) as PlainObject)),
          () => 'settings stored in the database',
        );
        results.push({ check: 'run-time settings', status: 'ok', detail: "the owner's changes stored in the database are valid" });
      } catch (err) {
        results.push({
          check: 'run-time settings',
          status: 'fail',
          detail: `${errorMessage(err).replace(/\n/g, '; ')} (clear them with \`hearth settings reset\`)`,
        });
      }
    }
  } catch (err) {
    results.push({ check, status: 'fail', detail: `${path}: ${errorMessage(err)}` });
  } finally {
    db.close();
  }
  return { results, effective };
}

function migrationsCheck(db: Database.Database): DoctorResult {
  const check = 'migrations';
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!hasTable) return { check, status: 'fail', detail: 'no schema_migrations table: this is not a Hearth database' };
  const applied = db.prepare('SELECT part, version FROM schema_migrations').all() as { part: string; version: number }[];
  const known = new Set(allTables.flatMap((p) => p.migrations.map((m) => `${p.part}:${m.version}`)));
  const unknown = applied.filter((a) => !known.has(`${a.part}:${a.version}`));
  if (unknown.length) {
    return {
      check,
      status: 'fail',
      detail: `the database has migrations this Hearth does not know (${unknown.map((u) => `${u.part}:${u.version}`).join(', ')}): it was written by a newer version`,
    };
  }
  const done = new Set(applied.map((a) => `${a.part}:${a.version}`));
  const pending = [...known].filter((k) => !done.has(k));
  if (pending.length) return { check, status: 'warn', detail: `${pending.length} pending (${pending.join(', ')}); the next start applies them after a backup` };
  return { check, status: 'ok', detail: `${applied.length} applied, none pending` };
}

/** The pid holding the data directory's lock, if that process is alive. */
function runningHubPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'hearth.lock'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? -1 : undefined;
  }
}

async function portCheck(check: string, host: string, port: number, httpPort: number, running: number | undefined): Promise<DoctorResult> {
  if (port === 0) return { check, status: 'ok', detail: 'port 0: a free port is picked at start' };
  const err = await tryListen(host, port);
  if (!err) return { check, status: 'ok', detail: `${host}:${port} is free` };
  if (err === 'EACCES') return { check, status: 'fail', detail: `not allowed to listen on ${host}:${port}; use a port above 1023` };
  if (err !== 'EADDRINUSE') return { check, status: 'fail', detail: `cannot listen on ${host}:${port}: ${err}` };
  const health = await probeHealth(host, httpPort);
  const pid = running !== undefined && running > 0 ? ` (pid ${running})` : '';
  if (health && running !== undefined) return { check, status: 'ok', detail: `${port} is held by this hub${pid}, which reports ${health.status}` };
  if (health) return { check, status: 'fail', detail: `${port} is held by another Hearth (version ${health.version}), not the one on this data directory` };
  return { check, status: 'fail', detail: `${port} is in use by another program (not a Hearth answering /api/v1/health)` };
}

function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

async function probeHealth(host: string, port: number): Promise<{ status: string; version: string } | undefined> {
  const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  for (const scheme of ['http', 'https']) {
    try {
      const res = await fetch(`${scheme}://${target}:${port}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { status?: string; version?: string };
      if (typeof body.status === 'string' && typeof body.version === 'string') return { status: body.status, version: body.version };
    } catch {
      /* not us, or TLS with our own certificate: try the next */
    }
  }
  return undefined;
}

function filesCheck(settings: Settings): DoctorResult[] {
  const pairs: [string, string | undefined][] = [
    ['http.tls_cert', settings.http.tls_cert],
    ['http.tls_key', settings.http.tls_key],
    ['mqtt.tls_cert', settings.mqtt.tls_cert],
    ['mqtt.tls_key', settings.mqtt.tls_key],
  ];
  const out: DoctorResult[] = [];
  for (const [key, path] of pairs) {
    if (!path) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      out.push({ check: 'tls files', status: 'fail', detail: `${key} ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}` });
    }
  }
  if ((settings.http.tls_cert === undefined) !== (settings.http.tls_key === undefined)) {
    out.push({ check: 'tls files', status: 'fail', detail: 'http.tls_cert and http.tls_key go together; one is missing' });
  }
  return out;
}
