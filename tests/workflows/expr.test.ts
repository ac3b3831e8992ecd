import { describe, expect, it } from 'vitest';
import { checkExpression, compile, freezeData, renderTemplate, type Value } from '../../src/workflows/expr.js';

const scope = freezeData({
  states: { sensor: { outdoor_temperature: '2.5' }, light: { porch: 'on' }, lock: { front_door: 'locked' } },
  attributes: { 'light.porch': { brightness: 200 } },
  answer: 'yes',
  home: ['Olivia'],
  time: { hour: 22, weekday: 'fri' },
}) as Record<string, Value>;
const ev = (src: string) => compile(src).evaluate(scope);

describe('the condition language', () => {
  it('reads states, attributes and answers', () => {
    expect(ev('states.sensor.outdoor_temperature < 3')).toBe(true);
    expect(ev("answer == 'yes' && states.light.porch == 'on'")).toBe(true);
    expect(ev("attributes['light.porch'].brightness >= 200")).toBe(true);
    expect(ev("'Olivia' in home and not (time.hour < 21)")).toBe(true);
    expect(ev("time.weekday in ['sat', 'sun'] ? 'weekend' : 'weekday'")).toBe('weekday');
    expect(ev('states.sensor.nothing_here == null')).toBe(true);
    expect(ev('1 + 2 * 3 - 4 / 2')).toBe(5);
    expect(ev('home.length')).toBe(1);
  });

  // Known escapes from other expression languages (jexl, expr-eval, angular, handlebars), and
  // resource attacks. Each must yield plain null/false or a parse error, never a function or
  // a reach into the host.
  const escapes = [
    'constructor',
    'constructor.constructor',
    "constructor.constructor('return process')()",
    "states.constructor.constructor('return process')()",
    "states['constructor']['constructor']",
    "states['__proto__']",
    "states['__pro' + 'to__']",
    "states[['__proto__']]",
    '__proto__.polluted',
    "''.constructor.prototype",
    'answer.constructor',
    "answer['constructor']",
    'answer.length.constructor',
    'home.constructor.prototype.push',
    'toString',
    'valueOf',
    'hasOwnProperty',
    "states['hasOwnProperty']",
    "attributes['light.porch'].__defineGetter__",
    'process.mainModule',
    'globalThis',
    'this',
    'require',
    'x = 1',
    'states.sensor = 1',
    "eval('1')",
    "Function('return 1')",
    '[].map',
    "home['map']",
  ];
  for (const src of escapes) {
    it(`escape is harmless: ${src}`, () => {
      let out: unknown;
      try {
        out = ev(src);
      } catch (err) {
        expect((err as Error).name).toBe('ExprError');
        return;
      }
      expect(out === null || out === false || out === true || typeof out === 'string' || typeof out === 'number').toBe(true);
      expect(typeof out).not.toBe('function');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('prototype pollution through the data is dropped when the snapshot is made', () => {
    const evil = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}, "ok": 1}');
    const frozen = freezeData(evil) as Record<string, Value>;
    expect(Object.keys(frozen)).toEqual(['ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.isFrozen(frozen)).toBe(true);
  });

  it('bounds size, nesting and work', () => {
    expect(checkExpression('a'.repeat(1001))).toMatch(/longer than 1000/);
    expect(checkExpression('('.repeat(40) + '1' + ')'.repeat(40))).toMatch(/nests more than 32/);
    expect(checkExpression('!'.repeat(200) + 'true')).toMatch(/nests more than/);
    expect(checkExpression(Array.from({ length: 400 }, () => '1').join('+'))).toMatch(/more than 300 parts|longer/);
    // Doubling text grows only linearly with the source: the text cap stops it.
    const big = freezeData({ s: 'x'.repeat(5000) }) as Record<string, Value>;
    expect(() => compile('s + s + s').evaluate(big)).toThrow(/too long/);
    // No regular expressions exist, so no ReDoS: `in` is a plain substring test.
    const t0 = performance.now();
    compile("'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' in s").evaluate(freezeData({ s: 'a'.repeat(100_000) }) as Record<string, Value>);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('templates render values and never throw', () => {
    expect(renderTemplate('It is {{ states.sensor.outdoor_temperature }} °C; {{ constructor.constructor }}; {{ ) }}', scope)).toBe('It is 2.5 °C; ; ?');
  });
});
