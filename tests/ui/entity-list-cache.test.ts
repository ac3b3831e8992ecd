import { describe, expect, it } from 'vitest';
import type { Response } from 'playwright-core';
import { setupOwner, useBrowserHub, watchErrors } from './browser.js';
import { OWNER } from './family-flow.js';

const isList = (r: Response) => new URL(r.url()).pathname === '/api/v1/entities' && r.request().method() === 'GET';

/**
 * The entity list (774 KiB at 2,000 entities) is kept by the browser and asked for again with its
 * ETag: the route says `Cache-Control: private, no-cache`, and nothing on the way may turn that
 * into no-store (the security headers once did, and no browser ever sent If-None-Match).
 */
describe('web UI: the browser keeps the entity list and revalidates it', () => {
  const env = useBrowserHub();

  it('opening another page that lists entities sends the kept ETag (If-None-Match), and the page shows them', { timeout: 120_000 }, async () => {
    const errors: string[] = [];
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(45_000);
    try {
      await setupOwner(ctx, env.hub, OWNER);
      const page = await ctx.newPage();
      watchErrors(page, errors);
      const first = page.waitForResponse(isList);
      await page.goto(env.hub.url);
      const r1 = await first;
      expect(r1.status()).toBe(200);
      expect(await r1.headerValue('cache-control')).toBe('private, no-cache');
      expect(await r1.headerValue('etag')).toMatch(/^W\/"/);

      const again = page.waitForResponse(isList);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
      const r2 = await again;
      const sent = await r2.request().allHeaders();
      expect(sent['if-none-match']).toMatch(/^W\/"/); // the browser added it from its cache
      // 304 while nothing changed (the demo's motion sensor may have moved in between: then 200).
      expect([200, 304]).toContain(r2.status());
      await expect.poll(() => page.getByText('Front door').count()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
