/**
 * Lookups in tables keyed by input (an operation name, a settings key, a word someone typed).
 * `table[key]` on a plain object finds Object.prototype's members for `constructor`,
 * `__proto__`, `toString`…; these find only the table's own entries.
 */
export function own<V>(table: Readonly<Record<string, V>> | undefined | null, key: string): V | undefined {
  return table && Object.hasOwn(table, key) ? table[key] : undefined;
}
