import { describe, expect, it } from 'vitest';
import { setupOwner, shot, useBrowserHub, watchErrors } from './browser.js';
import { ADULT, OWNER } from './family-flow.js';

const T = { timeout: 30_000 };

/** My account: an adult changes their own PIN (with their current password) on a 360-px phone, then signs out everywhere. */
describe('web UI: my account', () => {
  const env = useBrowserHub();

  it('a member changes their own PIN, is told plainly when the password is wrong, and signs out everywhere', { timeout: 180_000 }, async () => {
    const errors: string[] = [];
    const ownerCtx = await env.browser.newContext();
    const ctx = await env.browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    ctx.setDefaultTimeout(45_000);
    try {
      const { asOwner } = await setupOwner(ownerCtx, env.hub, OWNER);
      const made = await asOwner('/members', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ADULT.username, display_name: ADULT.name, role: 'adult', password: ADULT.password, pin: ADULT.pin }),
      });
      expect(made.status).toBe(201);
      const adultId = ((await made.json()) as { id: string }).id;
      expect((await ctx.request.post(`${env.hub.url}/api/v1/auth/login`, { data: { username: ADULT.username, password: ADULT.password } })).status()).toBe(200);

      const page = await ctx.newPage();
      watchErrors(page, errors);
      await page.goto(env.hub.url);
      await page.getByRole('link', { name: new RegExp(ADULT.name) }).click();
      await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor(T);
      const form = page.getByRole('form', { name: 'Change my PIN' });
      await form.getByLabel('Current password').fill('not my password');
      await form.getByLabel('New PIN').fill('8642');
      await form.getByRole('button', { name: 'Change PIN' }).click();
      await form.getByRole('alert').waitFor(T);
      expect(await form.getByText('Your PIN is changed.').count()).toBe(0);
      await form.getByLabel('Current password').fill(ADULT.password);
      await form.getByRole('button', { name: 'Change PIN' }).click();
      await form.getByText('Your PIN is changed.').waitFor(T);
      await shot(page, 'account-01-pin-changed-phone');
      const audit = (await (await asOwner(`/audit?kind=member.updated&subject=${adultId}`)).json()) as {
        entries: Array<{ actor: string; data: Record<string, unknown> }>;
      };
      expect(audit.entries[0]?.actor).toBe(adultId);

      // Sign out everywhere: this phone shows the sign-in, and the old session is refused.
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.getByLabel('Username').waitFor(T);
      expect((await ctx.request.get(`${env.hub.url}/api/v1/auth/me`)).status()).toBe(401);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
      await ownerCtx.close();
    }
  });
});
