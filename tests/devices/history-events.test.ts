import { afterEach, describe, expect, it } from 'vitest';
import { connect as netConnect, type Socket } from 'node:net';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, createMember, login, setupOwner } from '../members/helpers.js';
import { historyOf, logsWith, registryOf, waitFor } from './helpers.js';

let hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.reverse()) await h.stop();
  hubs = [];
});

describe('state history retention', () => {
  it('prunes by age and by row count', async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 }, retention: { state_history_days: 2, state_history_rows: 1000 } } });
    hubs.push(t);
    const db = t.hub.ctx.store.telemetry;
    const insert = db.prepare('INSERT INTO state_history (entity_id, state, attributes, available, at) VALUES (?, ?, ?, 1, ?)');
    const old = new Date(Date.now() - 5 * 86_400_000).toISOString();
    db.transaction(() => {
      for (let i = 0; i < 300; i++) insert.run('sensor.old', String(i), '{}', old);
      for (let i = 0; i < 1200; i++) insert.run('sensor.new', String(i), '{}', new Date().toISOString());
    })();
    const result = historyOf(t).prune();
    expect(result.byAge).toBe(300);
    expect(result.byCount).toBe(200);
    const n = (db.prepare('SELECT COUNT(*) AS n FROM state_history').get() as { n: number }).n;
    expect(n).toBe(1000);
    // The newest rows are the ones kept.
    expect(historyOf(t).list('sensor.new', { limit: 1 })[0]!.state).toBe('1199');
  });

  it('keeps to the row cap as it writes, without waiting for the hourly prune', async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 }, retention: { state_history_rows: 1000 } } });
    hubs.push(t);
    const reg = registryOf(t);
    reg.upsert({ id: 'sensor.busy', name: 'Busy', domain: 'sensor', state: '0', source: 'test' });
    for (let i = 1; i <= 2500; i++) {
      reg.setState('sensor.busy', String(i));
      if (i % 500 === 0) historyOf(t).flush();
    }
    historyOf(t).flush();
    const n = (t.hub.ctx.store.telemetry.prepare('SELECT COUNT(*) AS n FROM state_history').get() as { n: number }).n;
    expect(n).toBe(1000);
    expect(historyOf(t).list('sensor.busy', { limit: 1 })[0]!.state).toBe('2500');
  });

  it('records state changes from the bus', async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    const reg = registryOf(t);
    reg.upsert({ id: 'sensor.test', name: 'Test', domain: 'sensor', state: '1', source: 'test' });
    reg.setState('sensor.test', '2');
    reg.setAvailable('sensor.test', false);
    const rows = historyOf(t).list('sensor.test');
    expect(rows.map((r) => [r.state, r.available])).toEqual([
      ['2', false],
      ['2', true],
      ['1', true],
    ]);
  });
});

describe('state history row size', () => {
  it('keeps the state of an entity with huge attributes but not a copy of them in every row', async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    const reg = registryOf(t);
    reg.upsert({ id: 'weather.home', name: 'Weather', domain: 'sensor', state: 'sunny', source: 'test', attributes: { forecast: 'x'.repeat(100_000) } });
    reg.setState('weather.home', 'rainy');
    const rows = historyOf(t).list('weather.home');
    expect(rows.map((r) => r.state)).toEqual(['rainy', 'sunny']);
    const size = (
      t.hub.ctx.store.telemetry.prepare("SELECT MAX(LENGTH(attributes)) AS n FROM state_history WHERE entity_id = 'weather.home'").get() as { n: number }
    ).n;
    expect(size).toBeLessThan(1000);
  });
});

describe('server-sent events', () => {
  it('drops a client that stops reading instead of buffering for it', async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    const cookie = await setupOwner(t);
    const port = Number(new URL(t.url).port);
    // A client that sends the request and then never reads.
    const slow: Socket = netConnect({ port, host: '127.0.0.1' });
    slow.on('error', () => {});
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nAccept: text/event-stream\r\n\r\n`);
    slow.pause();
    const sse = t.hub.services.get<{ clientCount: number; name: string; start(): void; stop(): void }>('web.events')!;
    await waitFor(() => sse.clientCount === 1, 'the stream to open');
    const reg = registryOf(t);
    reg.upsert({ id: 'sensor.big', name: 'Big', domain: 'sensor', state: '0', source: 'test' });
    const blob = 'x'.repeat(64 * 1024);
    for (let i = 1; i <= 2000 && sse.clientCount > 0; i++) {
      reg.setState('sensor.big', String(i), { blob: `${i}${blob}` });
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => sse.clientCount === 0, 'the slow client to be dropped');
    expect(logsWith(t, 'event stream client dropped').some((l) => l.member === 'alice')).toBe(true);
    slow.destroy();
  });

  it('closes the streams of a member who is disabled, so they stop seeing the home', async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    const owner = await setupOwner(t);
    const bob = await createMember(t, owner, { username: 'bob', display_name: 'Bob', role: 'adult', password: 'bobs long password' });
    const bobCookie = await login(t, 'bob', 'bobs long password');
    const sse = t.hub.services.get<{ clientCount: number; name: string; start(): void; stop(): void }>('web.events')!;
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/v1/events`, { headers: { cookie: bobCookie }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await waitFor(() => sse.clientCount === 1, 'the stream to open');
    const patched = await api(t, 'PATCH', `/members/${bob.id}`, { cookie: owner, body: { disabled: true } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await waitFor(() => sse.clientCount === 0, "the disabled member's stream to close");
    // The stream ends for the browser too.
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
    controller.abort();
  });

  it('closes the streams opened with a session when it logs out, and only those', async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    const owner = await setupOwner(t);
    await createMember(t, owner, { username: 'bob', display_name: 'Bob', role: 'adult', password: 'bobs long password' });
    const laptop = await login(t, 'bob', 'bobs long password');
    const phone = await login(t, 'bob', 'bobs long password');
    const sse = t.hub.services.get<{ clientCount: number; name: string; start(): void; stop(): void }>('web.events')!;
    const controller = new AbortController();
    const open = (cookie: string) => fetch(`${t.url}/api/v1/events`, { headers: { cookie }, signal: controller.signal });
    const [fromLaptop, fromPhone] = await Promise.all([open(laptop), open(phone)]);
    expect([fromLaptop.status, fromPhone.status]).toEqual([200, 200]);
    await waitFor(() => sse.clientCount === 2, 'both streams to open');
    expect((await api(t, 'POST', '/auth/logout', { cookie: laptop })).status).toBe(204);
    await waitFor(() => sse.clientCount === 1, "the logged-out session's stream to close");
    // The laptop's stream ends for the browser too; the phone's session goes on.
    const reader = fromLaptop.body!.getReader();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
    expect((await api(t, 'GET', '/auth/me', { cookie: phone })).status).toBe(200);
    controller.abort();
  });
});
