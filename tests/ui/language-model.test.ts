import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, setupOwner, shot, startDemoHub, watchErrors, type DemoHub } from './browser.js';
import { OWNER } from './family-flow.js';
import { FakeOpenAi } from '../fakes/openai.js';

const T = { timeout: 30_000 };

/**
 * Settings → Language model in Chromium against a real hub (the demo home), the model a fake
 * OpenAI-compatible server on loopback: the state, the order of providers, the "try it" box
 * showing the intent it read (and nothing done), and the usage card.
 */
describe('web UI: the language model settings', () => {
  let browser: Browser;
  let hub: DemoHub;
  const fake = new FakeOpenAi();
  beforeAll(async () => {
    [browser, hub] = await Promise.all([launchChromium(), startDemoHub(), fake.start()]);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await fake.stop();
  });

  it('shows the model state, switches the order to the remote server, reads a sentence and counts the tokens', { timeout: 180_000 }, async () => {
    const errors: string[] = [];
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    ctx.setDefaultTimeout(45_000);
    const { asOwner } = await setupOwner(ctx, hub, OWNER);
    const set = await asOwner('/settings', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ llm: { remote_url: fake.url, remote_model: 'qwen2.5:1.5b' } }),
    });
    expect(set.status).toBe(200);
    fake.script = () => ({
      content: JSON.stringify({
        intents: [{ kind: 'command', entity_id: 'lock.demo_front_door', operation: 'lock', value: null, negated: false }],
        confidence: 0.9,
      }),
      usage: { prompt_tokens: 300, completion_tokens: 20 },
    });

    const page = await ctx.newPage();
    watchErrors(page, errors);
    await page.goto(`${hub.url}/settings`);
    await page.getByRole('tab', { name: 'Language model' }).click();
    await page.getByRole('heading', { name: 'Language model' }).waitFor(T);
    await page.getByText('none — get one with hearth model pull').waitFor(T);

    // Only the hub's own model is asked by default; add the remote server, then drop the local one.
    await page.getByRole('checkbox', { name: /A server on your network/ }).check();
    await page.getByText('may now be sent to the remote server').waitFor(T);
    await page.getByRole('checkbox', { name: /On this hub/ }).uncheck();
    await expect.poll(async () => ((await (await asOwner('/settings')).json()) as { llm: { order: string[] } }).llm.order).toEqual(['remote']);

    await page.getByLabel('Try it (nothing is done)').fill("the entrance, make it secure, we're heading out");
    await page.getByRole('button', { name: 'Read it' }).click();
    await page.getByText('lock Front door').waitFor(T);
    await page.getByText('Confidence 90 %, answered by remote').waitFor(T);
    await shot(page, 'language-model-01-try');
    // Nothing was done: the door is as the demo home left it, and no action is in the trail.
    const audit = (await (await asOwner('/audit?limit=200')).json()) as { entries: { kind: string }[] };
    expect(audit.entries.filter((e) => e.kind.startsWith('action.'))).toEqual([]);

    await page.reload();
    await page.getByRole('tab', { name: 'Language model' }).click();
    const usage = page.locator('section[aria-labelledby="usage-title"]');
    await usage.getByText('Language-model tokens').waitFor(T);
    expect(await usage.textContent()).toContain(OWNER.name);
    expect(await usage.textContent()).toContain('320');
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
