import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './mosquitto.js';

/**
 * A real PostgreSQL (Debian's `postgresql` package) in a temp directory, on a free loopback
 * port, with its unix socket in the same directory and a password (scram-sha-256) for the
 * `hearth` user. Run as root, the server runs as the `postgres` user (it refuses root).
 *
 *   const pgs = await Postgres.start();               // its own temp dir (the postgres user must reach it)
 *   const url = await pgs.createDatabase('relays');   // postgres://hearth:…@127.0.0.1:PORT/relays
 *   …
 *   await pgs.stop();
 */

export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  throw new Error('PostgreSQL is not installed (apt-get install postgresql): no /usr/lib/postgresql/<version>/bin/initdb');
}

const USER = 'hearth';

export class Postgres {
  private stopped = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly password: string,
    private readonly bin: string,
    private readonly asUser: string[],
  ) {}

  /** postgres://hearth:…@127.0.0.1:PORT/<database> */
  url(database = 'postgres'): string {
    return `postgres://${USER}:${this.password}@127.0.0.1:${this.port}/${database}`;
  }

  static async start(): Promise<Postgres> {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-pg-'));
    const bin = postgresBinDir();
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    const asUser = root ? ['/usr/sbin/runuser', '-u', 'postgres', '--'] : [];
    const data = join(dir, 'data');
    const socket = join(dir, 'socket');
    mkdirSync(socket, { recursive: true });
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (root) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      for (const p of [dir, socket, pwfile]) chownSync(p, uid, gid);
    }
    const run = (cmd: string, args: string[]) => {
      const [file, ...rest] = [...asUser, join(bin, cmd), ...args];
      try {
        execFileSync(file!, rest, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      } catch (err) {
        const e = err as { stderr?: Buffer; stdout?: Buffer };
        throw new Error(`${cmd} failed: ${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`);
      }
    };
    run('initdb', ['-D', data, '-U', USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    // fsync off: a test database need not survive a power cut, and the box's two cores are shared.
    const options = `-p ${port} -k ${socket} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40`;
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
    return new Postgres(dir, port, password, bin, asUser);
  }

  /** Stops the server (fast shutdown) and removes its directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const [file, ...rest] = [...this.asUser, join(this.bin, 'pg_ctl'), '-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop'];
    try {
      execFileSync(file!, rest, { stdio: 'ignore', timeout: 60_000 });
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Creates a fresh database and returns its URL. */
  async createDatabase(name: string): Promise<string> {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }
}
