import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

/**
 * Prepared statements of one connection, each compiled once: better-sqlite3's `prepare` parses
 * the SQL every time it is called, which a hot path (the gate's envelope reads and transitions)
 * pays again and again. For fixed SQL only: the cache keeps every distinct string it is given.
 */
export function statementCache(db: Db): (sql: string) => Statement {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let st = cache.get(sql);
    if (!st) cache.set(sql, (st = db.prepare(sql)));
    return st;
  };
}
