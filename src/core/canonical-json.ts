/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped.
 * Hashes (audit chain, envelope digest) are computed over this form, so that the same
 * value always hashes the same way whatever order its keys were built in.
 *
 * Written out directly rather than as JSON.stringify of a sorted copy: every audit entry is
 * hashed, and the copy was most of that work. The output is the same, character for character
 * (tests/core/canonical-json.test.ts compares the two on random values).
 */
export function canonicalJson(value: unknown): string {
  return write(value) as string;
}

function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'bigint': // throws, as JSON.stringify does
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + (write(value[i]) ?? 'null');
        return `${out}]`;
      }
      if (value instanceof Date) return JSON.stringify(value);
      const keys = Object.keys(value).sort();
      // An own toJSON member: JSON.stringify of the sorted copy calls it; keep that result.
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function' && keys.includes('toJSON')) return JSON.stringify(sortedCopy(value));
      let out = '{';
      for (const key of indexKeysFirst(keys)) {
        const member = write((value as Record<string, unknown>)[key]);
        if (member === undefined) continue;
        out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${member}`;
      }
      return `${out}}`;
    }
    default:
      return undefined; // undefined, functions and symbols: dropped from objects, null in arrays
  }
}

/**
 * Keys in the order a fresh object built in sorted order would list them: array-index keys
 * ("0", "10") first, in numeric order, then the rest as sorted. JavaScript objects order their
 * keys so, and the canonical form was always JSON.stringify of such an object.
 */
function indexKeysFirst(sorted: string[]): string[] {
  let hasIndex = false;
  for (const k of sorted) if ((hasIndex = isIndex(k))) break;
  if (!hasIndex) return sorted;
  const index = sorted.filter(isIndex).sort((a, b) => Number(a) - Number(b));
  return [...index, ...sorted.filter((k) => !isIndex(k))];
}

function isIndex(key: string): boolean {
  const c = key.charCodeAt(0);
  if (c < 48 || c > 57) return false;
  return (key === '0' || /^[1-9][0-9]*$/.test(key)) && Number(key) < 4294967295;
}

function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortedCopy(v)));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortedCopy(v);
    }
    return out;
  }
  return value;
}
