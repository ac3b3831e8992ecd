import { describe, expect, it } from 'vitest';
import { setupOwner, shot, useBrowserHub, watchErrors } from './browser.js';
import { OWNER } from './family-flow.js';

const T = { timeout: 30_000 };

/** The Workflows page in Chromium against a real hub with the demo home. */
describe('web UI: workflows', () => {
  const env = useBrowserHub();

  it('writes a workflow in the editor (an error marks its line), switches on a pack, and reads a run', { timeout: 180_000 }, async () => {
    const errors: string[] = [];
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(45_000);
    const { asOwner } = await setupOwner(ctx, env.hub, OWNER);
    const page = await ctx.newPage();
    watchErrors(page, errors);
    await page.goto(env.hub.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }).click();
    await page.getByRole('heading', { name: 'Packs' }).waitFor(T);

    // The editor checks as you type: a bad duration on line 9 is named and its line marked.
    await page.getByRole('button', { name: 'New workflow' }).click();
    const yaml = page.getByLabel('Workflow YAML');
    await page.getByText('Looks right').waitFor(T);
    const good = await yaml.inputValue();
    await yaml.fill(good.replace('wait: 10m', 'wait: ten minutes'));
    await page.getByText(/line 9: .*not a duration/).waitFor(T);
    expect(await page.locator('.gutter .bad-line').textContent()).toBe('9');
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await shot(page, 'workflows-01-editor-error');
    await yaml.fill(good.replace('name: Porch light when the back door opens at night', 'name: Porch light test').replace(/conditions:\n.*\n/, ''));
    await page.getByText('Looks right: "Porch light test"').waitFor(T);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved "Porch light test".').waitFor(T);

    // Switch on the goodnight pack, then run it now and read its run.
    const pack = page.locator('[data-workflow="pack_goodnight"]');
    await pack.getByRole('checkbox').click();
    await expect.poll(() => pack.getByRole('checkbox').isChecked()).toBe(true);
    await expect.poll(async () => ((await (await asOwner('/workflows/pack_goodnight')).json()) as { enabled: boolean }).enabled).toBe(true);
    await pack.getByRole('button', { name: 'Run now' }).click();
    await pack
      .getByRole('button', { name: /started by manual/ })
      .first()
      .waitFor(T);
    await expect
      .poll(async () => ((await (await asOwner('/workflows/pack_goodnight/runs')).json()) as { runs: { state: string }[] }).runs[0]?.state, { timeout: 30_000 })
      .toBe('done');
    await pack
      .getByRole('button', { name: /started by manual/ })
      .first()
      .click();
    // Each step in words about the home; its path and kind in a details line.
    await pack
      .locator('.timeline')
      .getByText(/Did these at once — done/)
      .waitFor(T);
    await pack
      .locator('.timeline')
      .getByText(/Lock Front door — done/)
      .waitFor(T);
    await pack.locator('.timeline').getByText('The device confirmed it.').first().waitFor(T);
    await pack.locator('.timeline').getByText('step 0 · parallel').waitFor(T);
    // The card's own line follows the run (it said "running" until the list was read again).
    await pack.getByText(/Last run .*: done/).waitFor(T);
    await pack.locator('.timeline').getByText('Finished.').waitFor(T);
    await shot(page, 'workflows-02-run-timeline');

    // A dry run of the new workflow acts on nothing.
    const mine = page.locator('li.card', { hasText: 'Porch light test' });
    await mine.getByRole('button', { name: 'Dry run' }).click();
    await page.getByText(/acts on nothing/).waitFor(T);
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
