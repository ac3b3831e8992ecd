import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tempDir, type HubProcess } from '../helpers/hub.js';
import { runCli, spawnHub, SLOW_TEST_MS } from './slow.js';
import { OWNER, setupOwner } from './owner.js';

/**
 * Nothing already acknowledged is lost when the process is killed at any moment: a burst of
 * audited requests, SIGKILL in the middle, restart, and the trail verifies and holds every
 * request that got its answer.
 */
describe('SIGKILL during a burst of audited requests', { timeout: SLOW_TEST_MS }, () => {
  const procs: HubProcess[] = [];
  let data: string | undefined;
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
    if (data) rmSync(data, { recursive: true, force: true });
  });

  it('loses no acknowledged entry and leaves a chain that verifies', async () => {
    data = tempDir();
    const hub = await spawnHub(['--data', data]);
    procs.push(hub);
    const cookie = await setupOwner(hub.url, data);

    const acknowledged: string[] = [];
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed) {
        const username = `burst${next++}`;
        try {
          const res = await fetch(`${hub.url}/api/v1/members`, {
            method: 'POST',
            headers: { cookie, 'content-type': 'application/json' },
            body: JSON.stringify({ username, display_name: `Burst ${username}`, role: 'guest' }),
          });
          if (res.status === 201) acknowledged.push(username);
          else if (!killed) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        } catch (err) {
          if (!killed) throw err;
        }
      }
    };
    let failed: unknown;
    const workers = Array.from({ length: 6 }, () => worker().catch((err: unknown) => (failed ??= err)));
    // Kill once a good number are through, while the other workers' requests are in flight.
    while (acknowledged.length < 40 && failed === undefined) await new Promise((r) => setTimeout(r, 5));
    if (failed !== undefined) throw failed;
    hub.child.kill('SIGKILL');
    killed = true;
    await Promise.allSettled(workers);
    await hub.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(40);

    const again = await spawnHub(['--data', data]);
    procs.push(again);
    const verify = await runCli(['audit', 'verify', '--data', data]);
    expect(verify.stdout).toMatch(/audit trail intact/);
    expect(verify.code).toBe(0);
    const exported = await runCli(['audit', 'export', '--format', 'jsonl', '--data', data]);
    const created = new Set(
      exported.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; data: { username?: string } })
        .filter((e) => e.kind === 'member.created')
        .map((e) => e.data.username),
    );
    const lost = acknowledged.filter((u) => !created.has(u));
    expect(lost).toEqual([]);
    // And the members themselves are there: the entry and the row were written together.
    const list = (await (await fetch(`${again.url}/api/v1/members`, { headers: { cookie: await login(again.url) } })).json()) as {
      members: { username: string }[];
    };
    const usernames = new Set(list.members.map((m) => m.username));
    expect(acknowledged.filter((u) => !usernames.has(u))).toEqual([]);
  });
});

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: OWNER.username, password: OWNER.password }),
  });
  return res.headers.get('set-cookie')!.split(';')[0]!;
}
