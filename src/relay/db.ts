import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import { openPrivateWal } from '../store/database.js';

/**
 * The relay's store, behind one small asynchronous interface with two backends:
 *
 * - **SQLite** (better-sqlite3): one relay, or relays on one host sharing a file (WAL, every
 *   transaction `BEGIN IMMEDIATE`, so processes take turns). Without a file it is in memory.
 * - **PostgreSQL** (`pg`): many relays on one store (`relay.database_url`).
 *
 * Write portable SQL: `$1`-style placeholders (converted for SQLite), `ON CONFLICT … DO
 * NOTHING / DO UPDATE` (never `INSERT OR IGNORE`), `BIGINT` for millisecond times, lower-case
 * column names and aliases (PostgreSQL folds unquoted names), `db.blobType` for bytes (Buffers
 * bind and come back as Buffers in both). BIGINT and COUNT(*) come back as numbers in both.
 *
 * Inside `tx(fn)` use only the executor handed to `fn`: the SQLite backend serialises
 * transactions and writes, so calling `db.run` from inside a transaction would wait for itself.
 */
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  /** Rows of a SELECT (or of a statement with RETURNING). */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** The first row, or undefined. */
  one<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** A statement without rows; `changes` is how many rows it inserted, updated or deleted. */
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

export interface TxExecutor extends SqlExecutor {
  /**
   * Holds a named lock until the transaction ends, across every relay on the store: a
   * PostgreSQL transaction-scoped advisory lock; SQLite's transactions are already one at a time.
   * Take it first, before reading what it guards (a hub's chain head, an escalation).
   */
  lock(name: string): Promise<void>;
}

export interface Db extends SqlExecutor {
  readonly kind: 'sqlite' | 'postgres';
  /** The column type for bytes: BLOB or BYTEA. */
  readonly blobType: 'BLOB' | 'BYTEA';
  /** DDL, one or more statements without parameters (CREATE TABLE IF NOT EXISTS …). */
  exec(ddl: string): Promise<void>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  tx<T>(fn: (q: TxExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DbOptions {
  /** `postgres://user:pass@host:port/db` (or `postgresql://`); SQLite when absent. */
  url?: string;
  /** SQLite file; memory when absent. */
  file?: string;
  log?: Logger;
  /** PostgreSQL connections in the pool. */
  poolSize?: number;
}

export async function openDb(options: DbOptions): Promise<Db> {
  if (options.url) {
    if (!/^postgres(ql)?:\/\//.test(options.url)) throw new Error('relay.database_url must start with postgres:// or postgresql://');
    return PgDb.open(options.url, options.poolSize ?? 4, options.log);
  }
  return new SqliteDb(options.file);
}

/** `$1 … $n` → `?` in order of appearance (repeats allowed), outside quoted text. */
export function toSqlite(sql: string, params: readonly unknown[]): { sql: string; params: unknown[] } {
  const out: unknown[] = [];
  let text = '';
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      if (c === quote) quote = null;
      text += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      text += c;
    } else if (c === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      const n = Number(sql.slice(i + 1, j));
      if (n < 1 || n > params.length) throw new Error(`placeholder $${n} has no parameter`);
      out.push(bindable(params[n - 1]));
      text += '?';
      i = j - 1;
    } else text += c;
  }
  return { sql: text, params: out };
}

const bindable = (v: unknown): unknown => (v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v);

/** A lock name as PostgreSQL's 64-bit advisory-lock key. */
export function lockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

class SqliteDb implements Db {
  readonly kind = 'sqlite' as const;
  readonly blobType = 'BLOB' as const;
  private readonly db: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(file?: string) {
    // The state holds hubs' Twilio credentials (sealed) and contacts: 0600, as the hub's store.
    this.db = file ? openPrivateWal(file) : new Database(':memory:');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = FULL');
  }

  query<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.serial(() => this.queryNow<T>(sql, params));
  }

  async one<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  run(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    return this.serial(() => this.runNow(sql, params));
  }

  exec(ddl: string): Promise<void> {
    return this.serial(() => void this.db.exec(ddl));
  }

  tx<T>(fn: (q: TxExecutor) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      let open = true;
      const guard = <R>(f: () => R): Promise<R> => {
        if (!open) return Promise.reject(new Error('transaction already ended'));
        try {
          return Promise.resolve(f());
        } catch (err) {
          return Promise.reject(err as Error);
        }
      };
      const q: TxExecutor = {
        query: <R>(sql: string, params: readonly unknown[] = []) => guard(() => this.queryNow<R>(sql, params)),
        one: async <R>(sql: string, params: readonly unknown[] = []) => (await guard(() => this.queryNow<R>(sql, params)))[0],
        run: (sql, params = []) => guard(() => this.runNow(sql, params)),
        lock: () => guard(() => undefined),
      };
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(q);
        open = false;
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        open = false;
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  close(): Promise<void> {
    return this.serial(() => {
      if (this.db.open) this.db.close();
    });
  }

  private queryNow<T>(sql: string, params: readonly unknown[]): T[] {
    const c = toSqlite(sql, params);
    const stmt = this.db.prepare(c.sql);
    if (!stmt.reader) {
      stmt.run(...c.params);
      return [];
    }
    return stmt.all(...c.params) as T[];
  }

  private runNow(sql: string, params: readonly unknown[]): { changes: number } {
    const c = toSqlite(sql, params);
    const stmt = this.db.prepare(c.sql);
    if (stmt.reader) return { changes: stmt.all(...c.params).length };
    return { changes: stmt.run(...c.params).changes };
  }

  /** One thing at a time on the connection, so a transaction never takes in another caller's statement. */
  private serial<R>(f: () => R | Promise<R>): Promise<R> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock detected

class PgDb implements Db {
  readonly kind = 'postgres' as const;
  readonly blobType = 'BYTEA' as const;

  private constructor(private readonly pool: Pool) {}

  static async open(url: string, size: number, log?: Logger): Promise<PgDb> {
    // Loaded only when PostgreSQL is configured: a single relay on SQLite never pays for it.
    const pg = (await import('pg')).default;
    const int8 = 20;
    const pool = new pg.Pool({
      connectionString: url,
      max: size,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      // BIGINT and COUNT(*) as numbers, as SQLite gives them (times in ms and counts fit).
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === int8 ? Number : pg.types.getTypeParser(oid, format))) as never },
    });
    // An idle connection that drops (a server restart) is reported here; without a listener it would crash the relay.
    pool.on('error', (err) => log?.warn({ err: errorMessage(err) }, 'a PostgreSQL connection of the relay failed'));
    const db = new PgDb(pool);
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      await pool.end();
      throw new Error(`cannot reach the relay's PostgreSQL: ${errorMessage(err)}`);
    }
    return db;
  }

  async query<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.pool.query(sql, params.map(bindablePg))).rows as T[];
  }

  async one<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    return { changes: (await this.pool.query(sql, params.map(bindablePg))).rowCount ?? 0 };
  }

  /** DDL under one advisory lock: two relays starting together would race on CREATE TABLE IF NOT EXISTS. */
  exec(ddl: string): Promise<void> {
    return this.tx(async (q) => {
      await q.lock('hearth-relay-ddl');
      await q.run(ddl);
    });
  }

  async tx<T>(fn: (q: TxExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (e) {
          broken = e as Error;
        }
        const code = (err as { code?: string }).code;
        if (!(code && RETRYABLE.has(code) && attempt < 5)) throw err;
      } finally {
        // A connection whose ROLLBACK failed is not given back to the pool.
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}

const bindablePg = (v: unknown): unknown => (v === undefined ? null : v);

function executor(client: PoolClient): TxExecutor {
  const query = async <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> => (await client.query(sql, params.map(bindablePg))).rows as T[];
  return {
    query,
    one: async <T>(sql: string, params: readonly unknown[] = []) => (await query<T>(sql, params))[0],
    run: async (sql, params = []) => ({ changes: (await client.query(sql, params.map(bindablePg))).rowCount ?? 0 }),
    lock: async (name) => void (await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(name)])),
  };
}
