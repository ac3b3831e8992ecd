/**
 * The small part of Jinja that device firmware actually puts in discovery configs:
 * `{{ value }}`, `{{ value_json.x }}`, `{{ value_json['x'] }}`, `{{ value_json.x.y[0] }}`, a few
 * filters (int, float, round, lower, upper, string, default, tojson), and literal text around
 * the blocks. Anything else (`{% if %}`, arithmetic, comparisons) is refused at compile time,
 * so the entity gets a warning and the hub never evaluates code it does not understand.
 */
export class TemplateError extends Error {}

type Step = string | number;
interface Filter {
  name: string;
  args: (string | number | boolean)[];
}
interface Expr {
  root: string;
  path: Step[];
  literal?: string | number;
  filters: Filter[];
}
type Part = string | Expr;

export interface CompiledTemplate {
  source: string;
  /** The raw value when the template is one expression; text otherwise. */
  evaluate(vars: Record<string, unknown>): unknown;
  render(vars: Record<string, unknown>): string;
}

const FILTERS = new Set(['int', 'float', 'round', 'lower', 'upper', 'string', 'default', 'd', 'tojson', 'trim']);
const cache = new Map<string, CompiledTemplate | TemplateError>();

/** Compiles (and caches, boundedly) a template; throws TemplateError when it is outside the subset. */
export function compileTemplate(source: string): CompiledTemplate {
  const hit = cache.get(source);
  if (hit instanceof TemplateError) throw hit;
  if (hit) return hit;
  let result: CompiledTemplate | TemplateError;
  try {
    result = compile(source);
  } catch (err) {
    result = err instanceof TemplateError ? err : new TemplateError(String(err));
  }
  if (cache.size > 2000) cache.delete(cache.keys().next().value!);
  cache.set(source, result);
  if (result instanceof TemplateError) throw result;
  return result;
}

function compile(source: string): CompiledTemplate {
  if (source.includes('{%') || source.includes('{#')) throw new TemplateError('statements ({% %}) are not supported');
  const parts: Part[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      parts.push(source.slice(i));
      break;
    }
    if (open > i) parts.push(source.slice(i, open));
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError('unclosed {{');
    parts.push(parseExpr(source.slice(open + 2, close).trim()));
    i = close + 2;
  }
  const single = parts.length === 1 && typeof parts[0] !== 'string' ? (parts[0] as Expr) : undefined;
  return {
    source,
    evaluate: (vars) => (single ? evalExpr(single, vars) : renderParts(parts, vars)),
    render: (vars) => renderParts(parts, vars),
  };
}

function renderParts(parts: Part[], vars: Record<string, unknown>): string {
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : toText(evalExpr(p, vars));
  return out;
}

/** How Jinja prints a value: Python's spelling of booleans and None, JSON for containers. */
export function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;

function parseExpr(text: string): Expr {
  let rest = text;
  const expr: Expr = { root: '', path: [], filters: [] };
  const lit = /^(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?))/.exec(rest);
  if (lit) {
    expr.literal = lit[3] !== undefined ? Number(lit[3]) : (lit[1] ?? lit[2])!;
    rest = rest.slice(lit[0].length).trim();
  } else {
    const id = IDENT.exec(rest);
    if (!id) throw new TemplateError(`cannot read "${text}"`);
    expr.root = id[0];
    rest = rest.slice(id[0].length);
    for (;;) {
      rest = rest.trimStart();
      if (rest.startsWith('.')) {
        const m = IDENT.exec(rest.slice(1)) ?? /^\d+/.exec(rest.slice(1));
        if (!m) throw new TemplateError(`cannot read "${text}"`);
        expr.path.push(m[0]);
        rest = rest.slice(1 + m[0].length);
      } else if (rest.startsWith('[')) {
        const m = /^\[\s*(?:'([^']*)'|"([^"]*)"|(-?\d+))\s*\]/.exec(rest);
        if (!m) throw new TemplateError(`cannot read "${text}"`);
        expr.path.push(m[3] !== undefined ? Number(m[3]) : (m[1] ?? m[2])!);
        rest = rest.slice(m[0].length);
      } else break;
    }
  }
  rest = rest.trim();
  while (rest.startsWith('|')) {
    rest = rest.slice(1).trim();
    const id = IDENT.exec(rest);
    if (!id || !FILTERS.has(id[0])) throw new TemplateError(`filter "${id?.[0] ?? rest}" is not supported`);
    rest = rest.slice(id[0].length).trim();
    const args: (string | number | boolean)[] = [];
    if (rest.startsWith('(')) {
      const end = rest.indexOf(')');
      if (end < 0) throw new TemplateError('unclosed (');
      const inner = rest.slice(1, end).trim();
      if (inner) {
        for (const a of inner.split(',')) {
          const t = a.trim();
          const m = /^(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|(true|false|True|False))$/.exec(t);
          if (!m) throw new TemplateError(`filter argument "${t}" is not supported`);
          args.push(m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? m[4].toLowerCase() === 'true' : (m[1] ?? m[2])!);
        }
      }
      rest = rest.slice(end + 1).trim();
    }
    expr.filters.push({ name: id[0], args });
  }
  if (rest) throw new TemplateError(`"${text}" is more than this hub understands (only values, paths and simple filters)`);
  return expr;
}

function evalExpr(expr: Expr, vars: Record<string, unknown>): unknown {
  let v: unknown;
  if (expr.literal !== undefined) v = expr.literal;
  else {
    if (!(expr.root in vars)) throw new TemplateError(`unknown variable ${expr.root}`);
    v = vars[expr.root];
    if (expr.root === 'value_json' && v === undefined) throw new TemplateError('the payload is not JSON');
    for (const step of expr.path) {
      if (v === null || v === undefined || typeof v !== 'object') {
        v = undefined;
        break;
      }
      v = Object.hasOwn(v, step) ? (v as Record<string | number, unknown>)[step] : undefined;
    }
  }
  for (const f of expr.filters) v = applyFilter(f, v);
  return v;
}

function applyFilter(f: Filter, v: unknown): unknown {
  switch (f.name) {
    case 'int': {
      const n = Number.parseInt(toText(v), 10);
      return Number.isNaN(n) ? (f.args[0] ?? 0) : n;
    }
    case 'float': {
      const n = Number.parseFloat(toText(v));
      return Number.isNaN(n) ? (f.args[0] ?? 0) : n;
    }
    case 'round': {
      const n = Number(v);
      const digits = typeof f.args[0] === 'number' ? Math.trunc(f.args[0]) : 0;
      if (!Number.isFinite(n)) return v;
      // toFixed throws a RangeError outside 0..100; Jinja rounds to tens with a negative precision.
      if (digits < 0) {
        const scale = 10 ** Math.min(-digits, 308);
        return Math.round(n / scale) * scale;
      }
      return Number(n.toFixed(Math.min(digits, 100)));
    }
    case 'lower':
      return toText(v).toLowerCase();
    case 'upper':
      return toText(v).toUpperCase();
    case 'trim':
      return toText(v).trim();
    case 'string':
      return toText(v);
    case 'tojson':
      return JSON.stringify(v ?? null);
    case 'default':
    case 'd':
      return v === undefined ? f.args[0] : v;
    default:
      throw new TemplateError(`filter ${f.name} is not supported`);
  }
}

/** The variables a value template sees for one MQTT payload. */
export function payloadVars(payload: string): Record<string, unknown> {
  let json: unknown;
  const t = payload.trimStart();
  if (t.startsWith('{') || t.startsWith('[') || t === 'true' || t === 'false' || t === 'null' || /^-?\d/.test(t) || t.startsWith('"')) {
    try {
      json = JSON.parse(payload);
    } catch {
      json = undefined;
    }
  }
  return { value: payload, value_json: json };
}
