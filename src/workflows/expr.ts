/**
 * The workflows' condition language: a small hand-written parser and tree-walking evaluator
 * over a frozen snapshot of plain data. Chosen over a library on purpose: jexl has an open
 * bracket-access bypass, expr-eval had code-execution CVEs, and the candidates that are safe
 * (CEL, JSONata) are larger than the whole of this file and bring regular expressions or
 * functions we do not need. What it can do is all there is:
 *
 *   literals     12  1.5  'text'  "text"  true  false  null  [1, 'a']
 *   names        states.sensor.kitchen  attributes['light.porch'].brightness  answer  trigger.to
 *   operators    == != < <= > >=  && || !  and or not  in  + - * / %  ( )  a ? b : c
 *
 * There are no calls, no assignment, no regular expressions and no way to name a prototype:
 * a member is read only when it is the value's *own* property of a plain object or array and
 * its name is not `__proto__`, `constructor` or `prototype`. Sources are at most 1000
 * characters and 300 tokens, nest at most 32 deep, and an evaluation visits at most 10 000
 * nodes, so both time and memory are bounded by the length of the source.
 */

export const MAX_SOURCE = 1000;
const MAX_TOKENS = 300;
const MAX_DEPTH = 32;
const MAX_STEPS = 10_000;
const BLOCKED = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

export type Value = null | boolean | number | string | readonly Value[] | { readonly [k: string]: Value };

type Tok = { t: 'num'; v: number } | { t: 'str'; v: string } | { t: 'id'; v: string } | { t: 'op'; v: string };
type Node =
  | { k: 'lit'; v: Value }
  | { k: 'name'; v: string }
  | { k: 'member'; o: Node; p: Node }
  | { k: 'arr'; items: Node[] }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'cond'; c: Node; a: Node; b: Node };

export class ExprError extends Error {
  override name = 'ExprError';
}

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.', ',', '+', '-', '*', '/', '%', '?', ':'];

function tokenize(src: string): Tok[] {
  if (src.length > MAX_SOURCE) throw new ExprError(`the expression is longer than ${MAX_SOURCE} characters`);
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (out.length >= MAX_TOKENS) throw new ExprError(`the expression has more than ${MAX_TOKENS} parts`);
    if (c >= '0' && c <= '9') {
      let j = i;
      while (j < src.length && /[0-9.]/.test(src[j]!)) j++;
      const text = src.slice(i, j);
      if (!/^\d+(\.\d+)?$/.test(text)) throw new ExprError(`"${text}" is not a number`);
      out.push({ t: 'num', v: Number(text) });
      i = j;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new ExprError('a text in quotes is not closed');
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      out.push({ t: 'id', v: src.slice(i, j) });
      i = j;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected "${c}" at position ${i + 1}`);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  return out;
}

const WORD_OPS = new Map([
  ['and', '&&'],
  ['or', '||'],
  ['not', '!'],
]);
const BINARY: [string[], number][] = [
  [['||'], 1],
  [['&&'], 2],
  [['==', '!='], 3],
  [['<', '<=', '>', '>=', 'in'], 4],
  [['+', '-'], 5],
  [['*', '/', '%'], 6],
];

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}

  parse(): Node {
    if (this.toks.length === 0) throw new ExprError('the expression is empty');
    const n = this.ternary();
    if (this.i < this.toks.length) throw new ExprError(`unexpected "${show(this.toks[this.i]!)}"`);
    return n;
  }

  private peekOp(): string | undefined {
    const t = this.toks[this.i];
    if (!t) return undefined;
    if (t.t === 'op') return t.v;
    if (t.t === 'id' && (WORD_OPS.has(t.v) || t.v === 'in')) return WORD_OPS.get(t.v) ?? t.v;
    return undefined;
  }

  private expect(op: string): void {
    if (this.peekOp() !== op) throw new ExprError(`expected "${op}"${this.toks[this.i] ? ` before "${show(this.toks[this.i]!)}"` : ' at the end'}`);
    this.i++;
  }

  private nest<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new ExprError(`the expression nests more than ${MAX_DEPTH} deep`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  private ternary(): Node {
    return this.nest(() => {
      const c = this.binary(1);
      if (this.peekOp() !== '?') return c;
      this.i++;
      const a = this.ternary();
      this.expect(':');
      return { k: 'cond', c, a, b: this.ternary() };
    });
  }

  private binary(level: number): Node {
    if (level > BINARY.length) return this.unary();
    let left = this.binary(level + 1);
    const ops = BINARY[level - 1]![0];
    for (let op = this.peekOp(); op && ops.includes(op); op = this.peekOp()) {
      this.i++;
      left = { k: 'bin', op, a: left, b: this.binary(level + 1) };
    }
    return left;
  }

  private unary(): Node {
    const op = this.peekOp();
    if (op === '!' || op === '-') {
      this.i++;
      return this.nest(() => ({ k: 'un', op, a: this.unary() }));
    }
    return this.postfix();
  }

  private postfix(): Node {
    let n = this.primary();
    for (;;) {
      const op = this.peekOp();
      if (op === '.') {
        this.i++;
        const t = this.toks[this.i++];
        if (!t || (t.t !== 'id' && t.t !== 'num')) throw new ExprError('expected a name after "."');
        n = { k: 'member', o: n, p: { k: 'lit', v: String(t.v) } };
      } else if (op === '[') {
        this.i++;
        const p = this.ternary();
        this.expect(']');
        n = { k: 'member', o: n, p };
      } else return n;
    }
  }

  private primary(): Node {
    const t = this.toks[this.i++];
    if (!t) throw new ExprError('the expression ends too early');
    if (t.t === 'num' || t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
      if (t.v === 'null') return { k: 'lit', v: null };
      if (WORD_OPS.has(t.v) || t.v === 'in') throw new ExprError(`unexpected "${t.v}"`);
      return { k: 'name', v: t.v };
    }
    if (t.v === '(') {
      const n = this.ternary();
      this.expect(')');
      return n;
    }
    if (t.v === '[') {
      const items: Node[] = [];
      while (this.peekOp() !== ']') {
        items.push(this.ternary());
        if (this.peekOp() === ',') this.i++;
        else break;
      }
      this.expect(']');
      return { k: 'arr', items };
    }
    throw new ExprError(`unexpected "${t.v}"`);
  }
}

const show = (t: Tok): string => String(t.v);

/** A parsed expression, ready to evaluate many times. */
export interface Compiled {
  readonly source: string;
  /** The top-level names the expression reads (`states`, `trigger` …): the scope needs only these. */
  readonly names: ReadonlySet<string>;
  evaluate(scope: Readonly<Record<string, Value>>): Value;
}

const cache = new Map<string, { root: Node; names: ReadonlySet<string> }>();
const CACHE_MAX = 2000;

export function compile(source: string): Compiled {
  let parsed = cache.get(source);
  if (!parsed) {
    const root = new Parser(tokenize(source)).parse();
    parsed = { root, names: namesIn(root, new Set()) };
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(source, parsed);
  }
  const { root, names } = parsed;
  return { source, names, evaluate: (scope) => new Evaluator(scope).run(root) };
}

function namesIn(n: Node, into: Set<string>): Set<string> {
  switch (n.k) {
    case 'name':
      into.add(n.v);
      break;
    case 'member':
      namesIn(n.o, into);
      namesIn(n.p, into);
      break;
    case 'arr':
      for (const i of n.items) namesIn(i, into);
      break;
    case 'un':
      namesIn(n.a, into);
      break;
    case 'bin':
      namesIn(n.a, into);
      namesIn(n.b, into);
      break;
    case 'cond':
      namesIn(n.c, into);
      namesIn(n.a, into);
      namesIn(n.b, into);
      break;
  }
  return into;
}

/** The problem with a source, in words, or undefined when it parses. */
export function checkExpression(source: string): string | undefined {
  try {
    compile(source);
    return undefined;
  } catch (err) {
    return err instanceof ExprError ? `expression: ${err.message}` : 'expression: cannot be read';
  }
}

/** True when the value counts as yes: false, null, 0, '' and 'off' are no. */
export function truthy(v: Value): boolean {
  return !(v === false || v === null || v === 0 || v === '' || v === 'off' || Number.isNaN(v));
}

function isPlainRecord(v: unknown): v is Record<string, Value> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A number from a number or a numeric string (states are strings: "21.5"). */
function num(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

class Evaluator {
  private steps = 0;
  constructor(private readonly scope: Readonly<Record<string, Value>>) {}

  run(n: Node): Value {
    if (++this.steps > MAX_STEPS) throw new ExprError('the expression took too long');
    switch (n.k) {
      case 'lit':
        return n.v;
      case 'name':
        return own(this.scope, n.v);
      case 'member':
        return member(this.run(n.o), this.run(n.p));
      case 'arr':
        return n.items.map((i) => this.run(i));
      case 'un': {
        const a = this.run(n.a);
        if (n.op === '!') return !truthy(a);
        const x = num(a);
        return x === undefined ? null : -x;
      }
      case 'cond':
        return truthy(this.run(n.c)) ? this.run(n.a) : this.run(n.b);
      case 'bin':
        return this.binary(n.op, n.a, n.b);
    }
  }

  private binary(op: string, an: Node, bn: Node): Value {
    if (op === '&&') return truthy(this.run(an)) ? truthy(this.run(bn)) : false;
    if (op === '||') return truthy(this.run(an)) ? true : truthy(this.run(bn));
    const a = this.run(an);
    const b = this.run(bn);
    switch (op) {
      case '==':
        return equal(a, b);
      case '!=':
        return !equal(a, b);
      case 'in':
        if (Array.isArray(b)) return b.some((x: Value) => equal(a, x));
        if (typeof b === 'string' && typeof a === 'string') return b.includes(a);
        if (isPlainRecord(b) && typeof a === 'string') return Object.hasOwn(b, a) && !BLOCKED.has(a);
        return false;
      case '+':
        if (typeof a === 'string' || typeof b === 'string') {
          const s = `${a ?? ''}${b ?? ''}`;
          if (s.length > 10_000) throw new ExprError('the text grew too long');
          return s;
        }
        return arith(a, b, (x, y) => x + y);
      case '-':
        return arith(a, b, (x, y) => x - y);
      case '*':
        return arith(a, b, (x, y) => x * y);
      case '/':
        return arith(a, b, (x, y) => (y === 0 ? NaN : x / y));
      case '%':
        return arith(a, b, (x, y) => (y === 0 ? NaN : x % y));
      default:
        return compare(op, a, b);
    }
  }
}

function own(obj: Value | undefined, key: string): Value {
  if (BLOCKED.has(key)) return null;
  if (isPlainRecord(obj)) return Object.hasOwn(obj, key) ? (obj[key] ?? null) : null;
  return null;
}

function member(obj: Value, key: Value): Value {
  if (Array.isArray(obj)) {
    const i = typeof key === 'number' ? key : typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : -1;
    if (Number.isInteger(i) && i >= 0 && i < obj.length) return (obj as Value[])[i] ?? null;
    if (key === 'length') return obj.length;
    return null;
  }
  if (typeof obj === 'string') return key === 'length' ? obj.length : null;
  if (typeof key !== 'string' && typeof key !== 'number') return null;
  return own(obj, String(key));
}

function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  const x = num(a);
  const y = num(b);
  if (x !== undefined && y !== undefined) return x === y;
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const s = typeof a === 'boolean' ? b : a;
    const bool = typeof a === 'boolean' ? a : b;
    return (bool === true && s === 'on') || (bool === false && s === 'off');
  }
  return false;
}

function compare(op: string, a: Value, b: Value): boolean {
  const x = num(a);
  const y = num(b);
  let c: number;
  if (x !== undefined && y !== undefined) c = x - y;
  else if (typeof a === 'string' && typeof b === 'string') c = a < b ? -1 : a > b ? 1 : 0;
  else return false;
  if (Number.isNaN(c)) return false;
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

function arith(a: Value, b: Value, f: (x: number, y: number) => number): Value {
  const x = num(a);
  const y = num(b);
  if (x === undefined || y === undefined) return null;
  const r = f(x, y);
  return Number.isFinite(r) ? r : null;
}

/** Deep-copies plain data and freezes it: what expressions see cannot reach anything live. */
export function freezeData(v: unknown, depth = 0): Value {
  if (depth > 20) return null;
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return Object.freeze(v.slice(0, 1000).map((x) => freezeData(x, depth + 1)));
  if (typeof v === 'object') {
    const out: Record<string, Value> = Object.create(null) as Record<string, Value>;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!BLOCKED.has(k)) out[k] = freezeData(x, depth + 1);
    return Object.freeze(out);
  }
  return null;
}

/** `Hello {{ name }}`: each `{{ … }}` is an expression over the scope; a bad one renders as "?". */
export function renderTemplate(text: string, scope: Readonly<Record<string, Value>>): string {
  return text.replace(/\{\{([^{}]{1,500})\}\}/g, (_, src: string) => {
    try {
      const v = compile(src.trim()).evaluate(scope);
      return v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    } catch {
      return '?';
    }
  });
}
