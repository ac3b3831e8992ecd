import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TestHub } from '../helpers/hub.js';
import type { MembersService } from '../../src/members/index.js';

export const OWNER = { username: 'alice', password: 'correct horse battery', display_name: 'Alice', pin: '4321' };

export interface Call {
  cookie?: string;
  token?: string;
  body?: unknown;
  /** Sent as is (for malformed JSON). */
  raw?: string;
  headers?: Record<string, string>;
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = any>(t: TestHub, method: string, path: string, call: Call = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.cookie) headers.cookie = call.cookie;
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  let payload: string | undefined;
  if (call.raw !== undefined) payload = call.raw;
  else if (call.body !== undefined) payload = JSON.stringify(call.body);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${t.url}/api/v1${path}`, { method, headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

export function setupCode(t: TestHub): string {
  return readFileSync(join(t.dataDir, 'setup-code'), 'utf8').trim();
}

/** `name=value` of the session cookie a response set. */
export function sessionCookie(a: Answer): string {
  const set = a.headers.getSetCookie().find((c) => c.startsWith('hearth_session='));
  expect(set, 'a hearth_session cookie').toBeDefined();
  return set!.split(';')[0]!;
}

/** Creates the first owner through the real route and returns their session cookie. */
export async function setupOwner(t: TestHub, owner = OWNER): Promise<string> {
  const res = await api(t, 'POST', '/setup', { body: { setup_code: setupCode(t), ...owner } });
  expect(res.status).toBe(201);
  return sessionCookie(res);
}

export async function login(t: TestHub, username: string, password: string): Promise<string> {
  const res = await api(t, 'POST', '/auth/login', { body: { username, password } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return sessionCookie(res);
}

export async function createMember(t: TestHub, ownerCookie: string, member: Record<string, unknown>): Promise<{ id: string }> {
  const res = await api(t, 'POST', '/members', { cookie: ownerCookie, body: member });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

export function membersOf(t: TestHub): MembersService {
  const svc = t.hub.services.get<{ members: MembersService } & { name: string; start(): void; stop(): void }>('members');
  if (!svc) throw new Error('no members service');
  return svc.members;
}

export function auditKinds(t: TestHub, kind: string) {
  return t.hub.ctx.audit.list({ kind, limit: 500 }).entries;
}

/** None of these strings may appear in anything the hub logged. */
export function expectNotLogged(t: TestHub, secrets: string[]): void {
  const all = t.logs.raw.join('\n');
  expect(all.length).toBeGreaterThan(0);
  for (const s of secrets) expect(all.includes(s), `the logs contain the secret ${s}`).toBe(false);
}
