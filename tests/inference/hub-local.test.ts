import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTinyGguf } from '../../src/inference/tiny-gguf.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, makeFamily } from '../gate/support.js';

/** The local model inside a real hub: the owner's routes, the state, and a settings change that unloads it. */
let t: TestHub | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe('the local model in the hub', () => {
  it('loads on the first "try it", shows ready, unloads when the model file setting changes; others may not use it', async () => {
    t = await startTestHub({ settings: { hub: { demo: true } } });
    const model = join(t.dataDir, 'tiny.gguf');
    writeTinyGguf(model);
    copyFileSync(model, join(t.dataDir, 'other.gguf'));
    const people = await makeFamily(t.url, t.dataDir, [{ username: 'adam', role: 'adult' }]);
    const owner = people.olivia!;
    expect((await api(t.url, owner, 'PATCH', '/settings', { llm: { model_path: model, threads: 1, context_size: 1024 } })).status).toBe(200);
    expect((await api(t.url, owner, 'GET', '/inference')).body.local.state).toBe('not_loaded');

    const tried = await api(t.url, owner, 'POST', '/inference/try', { text: 'the entrance, make it secure' });
    expect(tried.status).toBe(200);
    expect(tried.body.provider === 'local' || tried.body.intents.length === 0).toBe(true);
    const status = await api(t.url, owner, 'GET', '/inference');
    expect(status.body.local).toMatchObject({ state: 'ready', model_path: model });
    expect(status.body.providers.local.status).toBe('ok');

    await api(t.url, owner, 'PATCH', '/settings', { llm: { model_path: join(t.dataDir, 'other.gguf') } });
    const url = t.url;
    await expect.poll(async () => (await api(url, owner, 'GET', '/inference')).body.local.state).toBe('unloaded');

    expect((await api(t.url, people.adam!, 'POST', '/inference/try', { text: 'hi' })).status).toBe(403);
    const tooLong = await api(t.url, owner, 'POST', '/inference/try', { text: 'x'.repeat(301) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBeTruthy();
  }, 120_000);
});
