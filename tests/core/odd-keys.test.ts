import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from '../members/helpers.js';
import { waitFor } from '../devices/helpers.js';

/**
 * Property-style: every route in the OpenAPI document, every path param, query param and body
 * field (and body keys themselves) fed with prototype names and odd keys. Bad input is a 4xx,
 * never a 5xx: lookups in tables keyed by input must not find Object.prototype's members.
 */
const ODD = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
  'x'.repeat(5000),
  'ключ-🔑',
  'lock.__proto__',
  'lock.constructor',
];

/** Plausible values, so that a request gets past its other fields to the one being varied. */
const BASE: Record<string, unknown> = { entity_id: 'lock.demo_front_door', operation: 'lock', params: {}, name: 'x', reason: 'x' };

type Schema = { type?: string; properties?: Record<string, Schema>; additionalProperties?: unknown; enum?: unknown[] };
type Operation = { parameters?: { in: string; name: string }[]; requestBody?: { content?: Record<string, { schema?: Schema }> } };

let t: TestHub;
let token: string;
let paths: Record<string, Record<string, Operation>>;

beforeAll(async () => {
  t = await startTestHub({ settings: { hub: { demo: true }, mqtt: { port: 0 } } });
  const cookie = await setupOwner(t);
  const made = await api(t, 'POST', '/tokens', { cookie, body: { name: 'fuzz' } });
  token = (made.body as { token: string }).token;
  await waitFor(async () => (await api(t, 'GET', '/entities/lock.demo_front_door', { token })).status === 200, 'the demo lock');
  paths = ((await (await fetch(`${t.url}/api/openapi.json`)).json()) as { paths: typeof paths }).paths;
}, 60_000);
afterAll(async () => t?.stop());

/** Routes that end the hub or its link; fed separately they would stop the test, not find a bug. */
const SKIP = new Set(['POST /api/v1/hub/restart', 'POST /api/v1/hub/shutdown']);

async function send(method: string, path: string, body?: string): Promise<number> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.url}${path}`, { method, headers, body });
  await res.arrayBuffer();
  return res.status;
}

function bodiesFor(schema: Schema | undefined): string[] {
  const props = schema?.properties ?? {};
  const base: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(props)) base[k] = BASE[k] ?? (s.enum ? s.enum[0] : s.type === 'string' ? 'x' : s.type === 'object' ? {} : undefined);
  const out: string[] = [];
  for (const odd of ODD) {
    // Each field in turn holds the odd value (as a string, and as an object key below it).
    for (const k of Object.keys(props)) {
      out.push(JSON.stringify({ ...base, [k]: odd }));
      out.push(
        `{${Object.entries(base)
          .filter(([key]) => key !== k)
          .map(([key, v]) => `${JSON.stringify(key)}:${JSON.stringify(v)},`)
          .join('')}${JSON.stringify(k)}:{${JSON.stringify(odd)}:{${JSON.stringify(odd)}:"1"}}}`,
      );
    }
    // The odd name as a key of the body itself (JSON.parse makes "__proto__" an own key).
    out.push(
      `{${Object.entries(base)
        .map(([key, v]) => `${JSON.stringify(key)}:${JSON.stringify(v)},`)
        .join('')}${JSON.stringify(odd)}:{"a":1}}`,
    );
  }
  return out;
}

describe('odd keys on every route', () => {
  it('no route answers 5xx to prototype names or odd keys', async () => {
    const failures: string[] = [];
    let requests = 0;
    for (const [template, methods] of Object.entries(paths)) {
      if (!template.startsWith('/api/v1/') || template === '/api/v1/events') continue;
      for (const [method, op] of Object.entries(methods)) {
        const verb = method.toUpperCase();
        if (SKIP.has(`${verb} ${template}`)) continue;
        const params = op.parameters ?? [];
        const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name);
        const queryParams = params.filter((p) => p.in === 'query').map((p) => p.name);
        const fill = (value: string) => template.replace(/\{([^}]+)\}/g, () => encodeURIComponent(value));
        const plain = fill('lock.demo_front_door');
        const schema = op.requestBody?.content?.['application/json']?.schema;
        const bodies = verb === 'GET' || verb === 'DELETE' ? [undefined] : bodiesFor(schema);
        const tries: [string, string | undefined][] = [];
        for (const odd of ODD) {
          if (pathParams.length) tries.push([fill(odd), bodies[0] ?? (verb === 'GET' || verb === 'DELETE' ? undefined : '{}')]);
          for (const q of queryParams) tries.push([`${plain}?${encodeURIComponent(q)}=${encodeURIComponent(odd)}`, undefined]);
          tries.push([`${plain}?${encodeURIComponent(odd)}=1`, verb === 'GET' || verb === 'DELETE' ? undefined : '{}']);
        }
        for (const b of bodies) if (b !== undefined) tries.push([plain, b]);
        for (const [path, body] of tries) {
          requests++;
          const status = await send(verb, path, body);
          if (status >= 500) failures.push(`${verb} ${path.slice(0, 120)} ${body?.slice(0, 160) ?? ''} -> ${status}`);
        }
      }
    }
    expect(requests).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  }, 600_000);
});
