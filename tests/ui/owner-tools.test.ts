import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { setupOwner, shot, useBrowserHub, watchErrors } from './browser.js';
import { OWNER } from './family-flow.js';
import { areaOf, TOKEN_SCOPES } from '../../ui/src/pages/access/scopes.js';

const T = { timeout: 30_000 };

/**
 * The owner's access tools in the UI, checked against the API: a support session granted,
 * listed with its countdown and revoked; an API token made, used within and outside its scope,
 * revoked, then refused.
 */
describe('web UI: support access and API tokens, in Chromium against a real hub', () => {
  const env = useBrowserHub();

  it('grants and revokes support, makes, uses and revokes a token; fits 360 px', { timeout: 240_000 }, async () => {
    const errors: string[] = [];
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 860 } });
    ctx.setDefaultTimeout(45_000);
    let phone: BrowserContext | undefined;
    try {
      // The owner, made through the setup route with the family flow's owner; the cookie lands in this context.
      const { asOwner } = await setupOwner(ctx, env.hub, OWNER);

      const page = await ctx.newPage();
      watchErrors(page, errors);
      await page.goto(env.hub.url);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Access' }).click();
      await page.getByRole('heading', { name: 'Support access' }).waitFor(T);
      // The demo hub has no cloud link: the page says support cannot reach it.
      await page.getByText('The cloud link is not set up, so support cannot reach this hub').waitFor(T);

      // Grant diagnostics for 30 minutes.
      await page.getByRole('radio', { name: /^Diagnostics/ }).check();
      await page.getByLabel('For how long').selectOption({ label: '30 minutes' });
      await page.getByRole('button', { name: 'Grant support access' }).click();
      const live = page.locator('.support-live li');
      await live.first().waitFor(T);
      expect(await live.count()).toBe(1);
      expect(await live.first().textContent()).toContain('Diagnostics');
      expect(await live.first().textContent()).toContain(`Granted by ${OWNER.name}`);
      const left = live.first().locator('.countdown');
      const first = (await left.textContent()) ?? '';
      expect(first).toMatch(/^(29|30) min \d+ s left$/);
      // The countdown moves on its own.
      await expect.poll(() => left.textContent(), { timeout: 10_000 }).not.toBe(first);
      await shot(page, 'owner-tools-01-support-granted');

      const granted = (await (await asOwner('/support/sessions')).json()) as {
        sessions: Array<{ id: string; scope: string; state: string; created_at: string; expires_at: string }>;
      };
      expect(granted.sessions).toHaveLength(1);
      const grant = granted.sessions[0]!;
      expect(grant).toMatchObject({ scope: 'diagnostics', state: 'live' });
      expect(Date.parse(grant.expires_at) - Date.parse(grant.created_at)).toBe(30 * 60_000);
      expect(await live.first().getAttribute('data-grant')).toBe(grant.id);

      // Revoke, after a confirmation.
      let asked = '';
      // Accepted in the handler: the click does not return while the dialog is open.
      page.once('dialog', (d) => {
        asked = d.message();
        void d.accept();
      });
      await live.first().getByRole('button', { name: 'Revoke the diagnostics support session' }).click();
      await page.getByText('No support session is open.').waitFor(T);
      expect(asked).toMatch(/loses access at once/);
      await page.locator('summary', { hasText: 'Ended (1)' }).click();
      expect(await page.locator('.support-ended li').first().textContent()).toContain('revoked');
      const after = (await (await asOwner('/support/sessions')).json()) as typeof granted;
      expect(after.sessions.find((s) => s.id === grant.id)?.state).toBe('revoked');
      await shot(page, 'owner-tools-02-support-revoked');

      // An API token that may read the audit trail and nothing else.
      await page.getByLabel('Token name').fill('audit reader');
      await page.getByRole('checkbox', { name: /Read the audit trail/ }).check();
      await page.getByRole('button', { name: 'Make the token' }).click();
      const secretField = page.getByRole('textbox', { name: /Your new token/ });
      await secretField.waitFor(T);
      const secret = await secretField.inputValue();
      expect(secret).toMatch(/^hth_tok/);
      await page.getByText('it will not be shown again').waitFor(T);
      await shot(page, 'owner-tools-03-token-secret');

      const bearer = (path: string) => fetch(`${env.hub.url}/api/v1${path}`, { headers: { authorization: `Bearer ${secret}` } });
      expect((await bearer('/audit')).status).toBe(200);
      const refused = await bearer('/settings');
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('SCOPE_REQUIRED');

      // Shown once: after a reload the secret is nowhere on the page, the token is still listed.
      await page.reload();
      const row = page.locator('.tokens li', { hasText: 'audit reader' });
      await row.waitFor(T);
      expect(await page.content()).not.toContain(secret);
      expect(await row.textContent()).toContain('audit:read');
      expect(await row.textContent()).toMatch(/last used (just now|\d+ min ago)/);

      page.once('dialog', (d) => void d.accept());
      await row.getByRole('button', { name: 'Revoke the token audit reader' }).click();
      await row.locator('.tag', { hasText: 'revoked' }).waitFor(T);
      expect((await bearer('/audit')).status).toBe(401);
      const tokens = (await (await asOwner('/tokens')).json()) as { tokens: Array<{ name: string; revoked_at: string | null }> };
      expect(tokens.tokens.find((t) => t.name === 'audit reader')?.revoked_at).not.toBeNull();
      await shot(page, 'owner-tools-04-token-revoked');

      // Every area the scope checkboxes offer is a real route prefix of the API.
      const openapi = (await (await fetch(`${env.hub.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
      const paths = Object.keys(openapi.paths);
      for (const [scope] of TOKEN_SCOPES) {
        const area = areaOf(scope);
        if (area)
          expect(
            paths.some((p) => p.startsWith(`/api/v1/${area}`)),
            `scope ${scope}`,
          ).toBe(true);
      }

      // A phone, dark: the page with a fresh secret shown fits 360 px without sideways scrolling.
      phone = await env.browser.newContext({
        viewport: { width: 360, height: 740 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
        colorScheme: 'dark',
        storageState: await ctx.storageState(),
      });
      const small = await phone.newPage();
      watchErrors(small, errors);
      await small.goto(`${env.hub.url}/access`);
      await small.getByLabel('Token name').fill('phone test with a rather long name');
      await small.getByRole('checkbox', { name: /Everything your account may do/ }).check();
      await small.getByRole('button', { name: 'Make the token' }).click();
      await small.getByRole('textbox', { name: /Your new token/ }).waitFor(T);
      await small.locator('summary', { hasText: 'Ended (1)' }).click();
      // A string: the root tsconfig has no DOM types. Positive numbers are pixels of sideways overflow.
      const overflow = await small.evaluate(`({
        page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        sections: ['support', 'tokens'].map((id) => { const el = document.getElementById(id); return el.scrollWidth - el.clientWidth; }),
      })`);
      expect(overflow).toEqual({ page: 0, sections: [0, 0] });
      await shot(small, 'owner-tools-05-phone-dark');
      expect(errors).toEqual([]);
    } catch (err) {
      for (const c of [ctx, phone]) for (const p of c?.pages() ?? []) await shot(p as Page, 'owner-tools-FAILED').catch(() => undefined);
      throw err;
    } finally {
      await phone?.close();
      await ctx.close();
    }
  });
});
