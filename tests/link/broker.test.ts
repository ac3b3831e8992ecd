import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { get } from 'node:https';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { freePort, makePki, Mosquitto, waitFor, sleep, type Pki } from '../helpers/mosquitto.js';
import { BIN, REPO, runCli, spawnHub, startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { connectClient, linkOf, linkSettings, tmp } from './helpers.js';

describe('hub ↔ a real mosquitto with TLS, passwords and an ACL', () => {
  let dir: string;
  let pki: Pki;
  let broker: Mosquitto;
  const users = { relay: 'relay-pw', 'hub-a': 'a-pw', 'hub-b': 'b-pw' };
  const clients: MqttClient[] = [];
  const hubs: TestHub[] = [];

  beforeAll(async () => {
    dir = tmp('hearth-broker-');
    pki = makePki(join(dir, 'pki'));
    broker = await Mosquitto.start({ dir: join(dir, 'broker'), pki, users });
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    for (const h of hubs) await h.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes a retained online status, and the broker publishes the offline will after SIGKILL', async () => {
    const data = tempDir();
    const hub = await spawnHub([], {
      env: {
        HEARTH_HUB_DATA_DIR: data,
        HEARTH_LINK_URL: broker.url,
        HEARTH_LINK_HUB_ID: 'hub-a',
        HEARTH_LINK_USERNAME: 'hub-a',
        HEARTH_LINK_PASSWORD: users['hub-a'],
        HEARTH_LINK_CA: pki.caCert,
      },
    });
    try {
      const observer = await connectClient(broker, pki, 'relay', users.relay);
      clients.push(observer);
      const seen: string[] = [];
      observer.on('message', (_t, p) => seen.push(p.toString()));
      await observer.subscribeAsync('hearth/v1/hub-a/status', { qos: 1 });
      await waitFor(() => seen.includes('online'), 'retained online');
      hub.child.kill('SIGKILL');
      await hub.exited;
      await waitFor(() => seen[seen.length - 1] === 'offline', 'the last will');
      // A newcomer gets the retained offline.
      const late = await connectClient(broker, pki, 'relay', users.relay);
      clients.push(late);
      const retained: string[] = [];
      late.on('message', (_t, p, packet) => packet.retain && retained.push(p.toString()));
      await late.subscribeAsync('hearth/v1/hub-a/status', { qos: 1 });
      await waitFor(() => retained.length > 0, 'retained status');
      expect(retained).toEqual(['offline']);
    } finally {
      hub.child.kill('SIGKILL');
      rmSync(data, { recursive: true, force: true });
    }
  });

  it("keeps hub A out of hub B's topics (ACL by username)", async () => {
    const a = await connectClient(broker, pki, 'hub-a', users['hub-a']);
    const relay = await connectClient(broker, pki, 'relay', users.relay);
    clients.push(a, relay);
    const sub = await a.subscribeAsync(['hearth/v1/hub-b/#', 'hearth/v1/hub-a/#'], { qos: 1 });
    // Mosquitto may grant the filter and enforce the ACL on delivery; either way nothing of B's arrives.
    expect(sub.find((g) => g.topic === 'hearth/v1/hub-a/#')?.qos).toBe(1);

    const onB: string[] = [];
    const onA: string[] = [];
    relay.on('message', (topic, p) => (topic.startsWith('hearth/v1/hub-b/') ? onB : onA).push(p.toString()));
    await relay.subscribeAsync(['hearth/v1/hub-b/#', 'hearth/v1/hub-a/marker'], { qos: 1 });
    // Denied publishes are acknowledged with "not authorized" (MQTT 5) and never delivered.
    await expect(a.publishAsync('hearth/v1/hub-b/down/cmd', 'forged', { qos: 1 })).rejects.toThrow();
    await a.publishAsync('hearth/v1/hub-a/marker', 'after', { qos: 1 });
    await waitFor(() => onA.includes('after'), 'marker from hub A');
    expect(onB).toEqual([]);
    // Hub B's own traffic is visible to the relay, but not to hub A.
    const fromB: string[] = [];
    a.on('message', (t) => fromB.push(t));
    const b = await connectClient(broker, pki, 'hub-b', users['hub-b']);
    clients.push(b);
    await b.publishAsync('hearth/v1/hub-b/up/events', 'b-event', { qos: 1 });
    await waitFor(() => onB.includes('b-event'), 'hub B event at the relay');
    await sleep(100);
    expect(fromB.filter((t) => t.startsWith('hearth/v1/hub-b/'))).toEqual([]);
  });

  it('refuses a broker whose certificate another CA signed, and says why in health', async () => {
    const rogue = await Mosquitto.start({ dir: join(dir, 'rogue'), pki, users, rogue: true });
    try {
      const t = await startTestHub({ settings: { link: linkSettings(rogue, pki, 'hub-a', users['hub-a']) } });
      hubs.push(t);
      await waitFor(() => linkOf(t).status().error_kind === 'tls', 'a TLS refusal');
      const health = (await (await fetch(`${t.url}/api/v1/health`)).json()) as { components: Record<string, { status: string; detail: string }> };
      expect(health.components.link?.status).toBe('degraded');
      expect(health.components.link?.detail).toMatch(/certificate is not trusted/);
      expect(linkOf(t).status().state).not.toBe('online');
    } finally {
      await rogue.stop();
    }
  });

  it('backs off after wrong credentials instead of storming the broker', async () => {
    const t = await startTestHub({ settings: { link: linkSettings(broker, pki, 'hub-a', 'wrong-password', { auth_retry_ms: 60_000 }) } });
    hubs.push(t);
    await waitFor(() => linkOf(t).status().error_kind === 'auth', 'an auth refusal');
    await sleep(3000);
    const s = linkOf(t).status();
    expect(s.attempts).toBeLessThanOrEqual(2);
    expect(s.error_kind).toBe('auth');
    expect(s.last_error).toMatch(/refused (the credentials|this hub)/);
    const health = (await (await fetch(`${t.url}/api/v1/health`)).json()) as { components: Record<string, { status: string; detail: string }> };
    expect(health.components.link?.detail).toMatch(/credentials refused: the broker refused/);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/hearth_link_connect_attempts_total [12]\b/);
  });

  it('runs `hearth relay --config FILE` as a process that serves its health over HTTPS', async () => {
    const port = await freePort();
    const config = join(dir, 'relay.yaml');
    writeFileSync(
      config,
      [
        'hub:',
        '  log_format: json',
        'relay:',
        `  broker_url: ${broker.url}`,
        '  username: relay',
        `  password: ${users.relay}`,
        `  ca: ${pki.caCert}`,
        '  instance_id: cli-relay',
        '  host: 127.0.0.1',
        `  port: ${port}`,
        `  tls_cert: ${pki.serverCert}`,
        `  tls_key: ${pki.serverKey}`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [BIN, 'relay', '--config', config], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      await waitFor(() => out.includes('relay is ready'), `the relay to start:\n${out}`);
      const health = await waitFor(
        () =>
          new Promise<{ status: number; body: { status: string } } | undefined>((resolve) => {
            get(`https://127.0.0.1:${port}/relay/v1/health`, { ca: readFileSync(pki.caCert) }, (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve(res.statusCode === 200 ? { status: 200, body: JSON.parse(text) } : undefined));
            }).on('error', () => resolve(undefined));
          }),
        'relay health 200',
      );
      expect(health.body.status).toBe('ok');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).not.toContain(users.relay); // the broker password never reaches the log
    } finally {
      child.kill('SIGKILL');
    }
    const missing = join(dir, 'empty.yaml');
    writeFileSync(missing, 'relay: {}\n');
    const res = await runCli(['relay', '--config', missing]);
    expect(res.code).toBe(78);
    expect(res.stderr).toMatch(/relay\.broker_url/);
  });
});
