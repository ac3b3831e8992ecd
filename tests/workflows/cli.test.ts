import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnHub, tempDir, type HubProcess } from '../helpers/hub.js';
import { api, makeFamily } from '../gate/support.js';
import { stopProcess, waitFor } from './support.js';

let hub: HubProcess | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await stopProcess(hub, dirs);
  hub = undefined;
});

describe('hearth workflows', () => {
  it('validate names the file, line and problem; list, run and runs work beside a running hub', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(good, 'name: Hello\ntriggers: [{manual: true}]\nsteps:\n  - llm: {prompt: hi, template: hello}\n');
    writeFileSync(bad, 'name: Hello\ntriggers: [{manual: true}]\nsteps:\n  - wait: soon\n');
    const ok = await runCli(['workflows', 'validate', good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok \(Hello: 1 trigger, 1 step\)/);
    const no = await runCli(['workflows', 'validate', bad]);
    expect(no.code).toBe(65);
    expect(no.stderr).toContain(`${bad}:4:`);
    expect(no.stderr).toMatch(/not a duration/);

    const dataDir = join(dir, 'data');
    hub = await spawnHub(['--data', dataDir]);
    const owner = (await makeFamily(hub.url, dataDir, [])).olivia!;
    const created = await api(hub.url, owner, 'POST', '/workflows', {
      source: 'name: Hello\ntriggers: [{manual: true}]\nsteps:\n  - llm: {prompt: hi, template: hello}\n',
    });
    const token = (await api(hub.url, owner, 'POST', '/tokens', { name: 'cli' })).body;
    const list = await runCli(['workflows', 'list', '--data', dataDir]);
    expect(list.stdout).toMatch(new RegExp(`${created.body.id}\\s+on\\s+api\\s+Hello\\s+\\(never ran\\)`));
    expect(list.stdout).toMatch(/pack_goodnight\s+off\s+pack\s+Goodnight/);
    const run = await runCli(['workflows', 'run', created.body.id, '--url', hub.url], { env: { ...process.env, HEARTH_TOKEN: token.token } });
    expect(run.code).toBe(0);
    const runId = run.stdout.trim();
    await waitFor(async () => (await api(hub!.url, owner, 'GET', `/workflow-runs/${runId}`)).body.state === 'done', 'the run done');
    const runs = await runCli(['workflows', 'runs', created.body.id, '--data', dataDir]);
    expect(runs.stdout).toContain(`${runId}`);
    expect(runs.stdout).toMatch(/0\s+llm\s+done/);
  });
});
