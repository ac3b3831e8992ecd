import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupOwner, useBrowserHub, watchErrors } from './browser.js';
import { OWNER } from './family-flow.js';

const T = { timeout: 30_000 };

describe('web UI: Health → Backups, in Chromium against a real hub', () => {
  const env = useBrowserHub();

  it('sets the passphrase, backs up now, shows the last good backup and downloads it', { timeout: 180_000 }, async () => {
    const errors: string[] = [];
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    ctx.setDefaultTimeout(45_000);
    try {
      await setupOwner(ctx, env.hub, OWNER);
      const page = await ctx.newPage();
      watchErrors(page, errors);
      await page.goto(`${env.hub.url}`);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Health' }).click();
      const section = page.locator('section[aria-labelledby="backups-title"]');
      await section.getByText('No backup has been made yet.').waitFor(T);
      expect(await section.getByRole('button', { name: 'Back up now' }).count()).toBe(0);
      await section.getByLabel('Backup passphrase').fill('a passphrase for the drawer');
      await section.getByRole('button', { name: 'Set' }).click();
      await section.getByText('Backup passphrase set.').waitFor(T);
      await section.getByRole('button', { name: 'Back up now' }).click();
      await section.getByText(/^Backup hearth-.*\.hbk written\.$/).waitFor(T);
      await section.getByText(/Last good backup:/).waitFor(T);
      const [download] = await Promise.all([page.waitForEvent('download'), section.getByRole('link', { name: 'Download' }).first().click()]);
      const saved = await download.path();
      const name = download.suggestedFilename();
      expect(name).toMatch(/^hearth-\d{8}-\d{6}\.hbk$/);
      expect(readFileSync(saved).equals(readFileSync(join(env.hub.dataDir, 'backups', name)))).toBe(true);
      await section.getByText(/hearth backup restore FILE/).waitFor(T);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
