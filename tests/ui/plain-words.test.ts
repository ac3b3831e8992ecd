import { describe, expect, it } from 'vitest';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { setupOwner, shot, useBrowserHub, watchErrors, type AsOwner } from './browser.js';
import { ADULT, OWNER } from './family-flow.js';

const T = { timeout: 30_000 };
const CHILD = { name: 'Cleo Child', username: 'cleo', password: 'cleo password 1', pin: '9753' };
const HOME = 'Maple House';
const LOCK = 'lock.demo_front_door';
const VIEWPORTS: Array<[string, BrowserContextOptions]> = [
  ['desktop', { viewport: { width: 1280, height: 860 } }],
  ['phone', { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }],
];

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Controls shorter than 44 px on this page (visible ones; inline links in text are exempt, as WCAG 2.5.8 allows). */
async function smallTargets(page: Page): Promise<string[]> {
  // A string: the page's DOM, not this process's types.
  return page.evaluate<string[]>(`(() => {
    const sel = 'button, a.button, nav a, [role=tab], select, summary, input:not([type=checkbox]):not([type=radio]):not([type=hidden])';
    return [...document.querySelectorAll(sel)]
      .filter((el) => el.offsetParent !== null && !el.closest('.sr-only'))
      .map((el) => [el, el.getBoundingClientRect()])
      .filter(([, r]) => r.height > 0 && r.height < 43.5)
      .map(([el, r]) => el.tagName.toLowerCase() + ' "' + (el.textContent || el.getAttribute('aria-label') || el.id).trim().slice(0, 30) + '" ' + Math.round(r.height) + 'px');
  })()`);
}

/**
 * Plain words on the demo home, desktop and a 360-px phone: an API error beside its field, the
 * audit story in sentences, a refusal that says who and why, Health's sentence, a policy preset
 * and its preview, arrow keys across the settings tabs, 44-px touch targets, and a member who
 * sees the home's name and no 403.
 */
describe('web UI: plain words', () => {
  const env = useBrowserHub();
  let asOwner: AsOwner | undefined;
  const ids: Record<string, string> = {};

  /** The owner's session (once), the adult and the child, the home's name. */
  async function family(): Promise<void> {
    if (asOwner) return;
    const ctx = await env.browser.newContext();
    const owner = (await setupOwner(ctx, env.hub, OWNER)).asOwner;
    asOwner = owner;
    await ctx.close();
    for (const [m, role] of [
      [ADULT, 'adult'],
      [CHILD, 'child'],
    ] as const) {
      const r = await owner('/members', json({ username: m.username, display_name: m.name, role, password: m.password, pin: m.pin }));
      expect(r.status).toBe(201);
      ids[m.username] = ((await r.json()) as { id: string }).id;
    }
    const named = await owner('/settings', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hub: { name: HOME } }) });
    expect(named.status).toBe(200);
  }

  async function signedIn(who: { username: string; password: string }, options: BrowserContextOptions) {
    const ctx = await env.browser.newContext(options);
    ctx.setDefaultTimeout(45_000);
    const r = await ctx.request.post(`${env.hub.url}/api/v1/auth/login`, { data: { username: who.username, password: who.password } });
    expect(r.status()).toBe(200);
    return ctx;
  }

  for (const [tag, options] of VIEWPORTS) {
    it(`${tag}: an API error is a sentence beside its field, with the code in a details line`, { timeout: 180_000 }, async () => {
      await family();
      const errors: string[] = [];
      const ctx = await signedIn(OWNER, options);
      try {
        const page = await ctx.newPage();
        watchErrors(page, errors);
        await page.goto(`${env.hub.url}/settings?tab=connections`);
        const ha = page.getByRole('form', { name: /Home Assistant/ });
        await ha.getByLabel('Home Assistant address').fill('http://nowhere-hearth.invalid:8123');
        await ha.getByLabel('Long-lived access token').fill('not-a-real-token');
        const test = ha.getByRole('button', { name: 'Test connection' });
        await test.click();
        // Focus stays on the control while its request runs (and after).
        expect(await page.evaluate<string | undefined>('document.activeElement?.textContent')).toMatch(/Test(ing)?/);
        const field = ha.locator('.field', { has: page.getByLabel('Home Assistant address') });
        const alert = field.getByRole('alert');
        await alert.waitFor(T);
        expect(await alert.locator('.sentence').innerText()).toMatch(/^Hearth can't (find|reach) nowhere-hearth\.invalid/);
        expect(await alert.locator('.details').innerText()).toMatch(/Details: .*nowhere-hearth\.invalid/);
        expect(await page.getByLabel('Home Assistant address').getAttribute('aria-invalid')).toBe('true');
        expect(await page.evaluate<string | undefined>('document.activeElement?.textContent')).toBe('Test connection');
        await shot(page, `plain-01-error-beside-field-${tag}`);

        // A setting the API refuses: the sentence beside the time zone, the code only in the details line.
        await page.goto(`${env.hub.url}/settings?tab=home`);
        await page.getByLabel('Time zone').fill('Mars/Olympus_Mons');
        await page.getByRole('button', { name: 'Save', exact: true }).click();
        const tz = page.locator('.field', { has: page.getByLabel('Time zone') }).getByRole('alert');
        await tz.waitFor(T);
        expect(await tz.locator('.sentence').innerText()).toMatch(/^Check this: expected an IANA time zone/);
        expect(await tz.locator('.sentence').innerText()).not.toContain('INVALID_SETTINGS');
        expect(await tz.locator('.details').innerText()).toContain('INVALID_SETTINGS');
        expect(errors).toEqual([]);
      } finally {
        await ctx.close();
      }
    });

    it(`${tag}: the story of an approval reads as sentences, and a refusal says who refused and why`, { timeout: 180_000 }, async () => {
      await family();
      const adult = await signedIn(ADULT, options);
      const asAdult = (path: string, init: RequestInit = {}) =>
        adult.request.fetch(`${env.hub.url}/api/v1${path}`, {
          method: init.method,
          data: init.body as string,
          headers: init.headers as Record<string, string>,
        });
      const owner = await signedIn(OWNER, options);
      const errors: string[] = [];
      try {
        // Adam asks; Olivia types a wrong PIN, then approves; the lock reports unlocked.
        const asked = await asAdult('/actions', json({ entity_id: LOCK, operation: 'unlock' }));
        expect(asked.status()).toBe(202);
        const id = ((await asked.json()) as { approval_id: string }).approval_id;
        expect((await asOwner!(`/approvals/${id}/decision`, json({ decision: 'approve', pin: '0000' }))).status).toBe(403);
        expect((await asOwner!(`/approvals/${id}/decision`, json({ decision: 'approve', pin: OWNER.pin }))).status).toBe(200);
        await asOwner!('/actions', json({ entity_id: LOCK, operation: 'lock' }));

        const page = await owner.newPage();
        watchErrors(page, errors);
        await page.goto(`${env.hub.url}/audit?subject=${id}`);
        const story = page.getByRole('list', { name: 'The story, in order' });
        await story.getByText(/Done: Front door reported unlocked/).waitFor(T);
        const lines = (await story.locator('li p.sentence').allInnerTexts()).map((l) => l.replace(/^\S+(\s[AP]M)?\s/, ''));
        expect(lines).toEqual([
          'Adam Adult asked to unlock Front door (high risk, needs approval)',
          'Olivia Owner typed a wrong PIN',
          'Olivia Owner approved',
          'Enough approvals: the request goes ahead',
          'Hearth sent the command to Front door',
          'Done: Front door reported unlocked',
        ]);
        // The raw entry is behind "Details", not on the line.
        const first = story.locator('li').first();
        expect(await first.locator('pre.data').isVisible()).toBe(false);
        await first.getByText('Details').click();
        expect(await first.locator('pre.data').innerText()).toContain('"operation": "unlock"');
        await shot(page, `plain-02-approval-story-${tag}`);

        // Olivia says no, with a reason: Adam's history card says who and why.
        const again = await asAdult('/actions', json({ entity_id: LOCK, operation: 'unlock' }));
        const id2 = ((await again.json()) as { approval_id: string }).approval_id;
        expect((await asOwner!(`/approvals/${id2}/decision`, json({ decision: 'deny', reason: 'not while we are out' }))).status).toBe(200);
        const adultPage = await adult.newPage();
        watchErrors(adultPage, errors);
        await adultPage.goto(`${env.hub.url}/approvals`);
        await adultPage.locator(`[data-history="${id2}"]`).getByText('Olivia Owner said no: not while we are out').waitFor(T);

        // The rules refuse Cleo (a child): the story names the rules and the reason.
        const child = await signedIn(CHILD, options);
        const refused = await child.request.post(`${env.hub.url}/api/v1/actions`, { data: { entity_id: LOCK, operation: 'unlock' } });
        expect(refused.status()).toBe(403);
        await child.close();
        await page.goto(`${env.hub.url}/audit?kind=action.refused&actor=${ids.cleo}`);
        await page
          .getByText(/Cleo Child asked to unlock Front door; the home's rules refused it: the child role may not unlock Front door/)
          .first()
          .waitFor(T);
        expect(errors).toEqual([]);
      } finally {
        await adult.close();
        await owner.close();
      }
    });

    it(`${tag}: Health starts with one sentence, the components under technical details, charts with units`, { timeout: 120_000 }, async () => {
      await family();
      const ctx = await signedIn(OWNER, options);
      try {
        const page = await ctx.newPage();
        await page.goto(`${env.hub.url}/health`);
        const sentence = page.locator('.health-sentence');
        await sentence.getByText(/devices? online/).waitFor(T);
        const text = (await sentence.innerText()).trim();
        expect(text).toMatch(
          /^(All good|.+ (is down|has a problem|is starting)(: .+)?) · \d+ devices? online(, \d+ offline)? · (last backup .+ ago|no backup yet|backups are off until a passphrase is set)$/,
        );
        const tech = page.locator('details.technical');
        expect(await tech.getAttribute('open')).toBeNull();
        expect(await tech.locator('.components').isVisible()).toBe(false);
        await tech.getByText('Technical details').click();
        expect(await tech.locator('.components li').count()).toBeGreaterThan(2);
        await shot(page, `plain-03-health-${tag}`);
      } finally {
        await ctx.close();
      }
    });

    it(`${tag}: a policy preset and its preview; settings tabs move with the arrow keys`, { timeout: 180_000 }, async () => {
      await family();
      const errors: string[] = [];
      const ctx = await signedIn(OWNER, options);
      try {
        const page = await ctx.newPage();
        watchErrors(page, errors);
        await page.goto(`${env.hub.url}/settings`);
        // WAI-ARIA tabs: arrows move and select, wrapping; End and Home go to the ends.
        const policyTab = page.getByRole('tab', { name: 'Who may do what' });
        await policyTab.focus();
        await page.keyboard.press('ArrowRight');
        const home = page.getByRole('tab', { name: 'Home' });
        expect(await home.getAttribute('aria-selected')).toBe('true');
        expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('tab-home');
        await page.keyboard.press('End');
        expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('tab-backup');
        await page.keyboard.press('ArrowRight');
        expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('tab-policy');
        expect(await policyTab.getAttribute('aria-selected')).toBe('true');
        await page.keyboard.press('ArrowLeft');
        expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('tab-backup');
        await page.keyboard.press('Home');
        expect(await home.getAttribute('tabindex')).toBe('-1');

        // Balanced (the defaults) is the policy now; strict makes unlocking at night critical.
        const balanced = page.getByRole('button', { name: 'Balanced', exact: true });
        await balanced.waitFor(T);
        expect(await balanced.getAttribute('aria-pressed')).toBe('true');
        await page.getByLabel('Who', { exact: true }).selectOption({ label: `${ADULT.name} (Adult)` });
        await page.getByLabel('Device', { exact: true }).selectOption({ label: 'Front door' });
        await page.getByLabel('Action', { exact: true }).selectOption({ label: 'unlock' });
        await page.getByLabel('At', { exact: true }).fill('23:00');
        const ask = page.getByRole('button', { name: 'What would happen?' });
        const answer = page.locator('.policy-answer');
        await ask.click();
        await answer.getByText(/high risk/).waitFor(T);
        expect(await answer.innerText()).toBe(
          `If ${ADULT.name} asks to unlock Front door at 23:00, it waits for one approval from owners (high risk); 1 person can approve it.`,
        );
        await page.getByRole('button', { name: 'Strict', exact: true }).click();
        expect(await page.getByRole('button', { name: 'Strict', exact: true }).getAttribute('aria-pressed')).toBe('true');
        expect(await page.getByText('Unsaved changes').count()).toBe(1);
        await ask.click();
        await answer.getByText(/critical risk/).waitFor(T);
        await page.getByLabel('At', { exact: true }).fill('12:00');
        await ask.click();
        await answer.getByText(/at 12:00, .*\(high risk\)/).waitFor(T);
        await shot(page, `plain-04-policy-preview-${tag}`);
        // Plurals: "Children", never "Childs".
        expect(await page.getByText(/Childs/).count()).toBe(0);
        expect(await page.getByRole('group', { name: 'Children' }).count()).toBe(1);
        // Nothing was saved: the preview does not act.
        const settings = (await (await asOwner!('/settings')).json()) as { policy: { windows: unknown[] } };
        expect(settings.policy.windows).toHaveLength(1);
        expect(errors).toEqual([]);
      } finally {
        await ctx.close();
      }
    });

    it(`${tag}: a member sees the home's name and no 403 on any page shown to them`, { timeout: 240_000 }, async () => {
      await family();
      for (const who of [ADULT, CHILD]) {
        const errors: string[] = [];
        const forbidden: string[] = [];
        const ctx = await signedIn(who, options);
        try {
          const page = await ctx.newPage();
          watchErrors(page, errors);
          page.on('response', (r) => {
            if (r.status() === 403 && r.url().includes('/api/')) forbidden.push(`${r.request().method()} ${new URL(r.url()).pathname}`);
          });
          await page.goto(env.hub.url);
          await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).waitFor(T); // the menu is drawn
          expect(await page.locator('.home-name').innerText()).toBe(HOME);
          const links = await page
            .getByRole('navigation', { name: 'Main' })
            .getByRole('link')
            .evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
          for (const href of links) {
            await page.goto(`${env.hub.url}${href}`);
            await page.locator('#page-title').waitFor(T);
            await page.waitForLoadState('networkidle');
            expect(await page.getByText('Not for this account').count(), `${who.username} on ${href}`).toBe(0);
            if (tag === 'phone') expect(await smallTargets(page), `${who.username} on ${href}`).toEqual([]);
          }
          expect(forbidden, who.username).toEqual([]);
          expect(errors).toEqual([]);
        } finally {
          await ctx.close();
        }
      }
    });
  }

  it('phone: every owner page keeps its controls at least 44 px tall', { timeout: 240_000 }, async () => {
    await family();
    const ctx = await signedIn(OWNER, VIEWPORTS[1]![1]);
    try {
      const page = await ctx.newPage();
      await page.goto(env.hub.url);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).waitFor(T); // the menu is drawn
      const links = await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link')
        .evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
      expect(links.length).toBeGreaterThan(8);
      for (const href of links) {
        await page.goto(`${env.hub.url}${href}`);
        await page.locator('#page-title').waitFor(T);
        await page.waitForLoadState('networkidle');
        expect(await smallTargets(page), href).toEqual([]);
      }
    } finally {
      await ctx.close();
    }
  });

  it('the policy preview is for owners only, and answers without acting', async () => {
    await family();
    const adult = await signedIn(ADULT, {});
    try {
      const r = await adult.request.post(`${env.hub.url}/api/v1/policy/preview`, { data: { member_id: ids.adam, entity_id: LOCK, operation: 'unlock' } });
      expect(r.status()).toBe(403);
      expect((await adult.request.get(`${env.hub.url}/api/v1/policy/form`)).status()).toBe(403);
    } finally {
      await adult.close();
    }
    const before = ((await (await asOwner!('/approvals')).json()) as { approvals: unknown[] }).approvals.length;
    const r = await asOwner!('/policy/preview', json({ member_id: ids.cleo, entity_id: LOCK, operation: 'unlock', time: '23:00' }));
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ outcome: 'refused', code: 'ROLE_NOT_ALLOWED', role: 'child' });
    const bad = await asOwner!('/policy/preview', json({ member_id: ids.cleo, entity_id: LOCK, operation: 'unlock', time: '25:00' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field?: string } }).error.field).toBe('time');
    expect(((await (await asOwner!('/approvals')).json()) as { approvals: unknown[] }).approvals.length).toBe(before);
  });
});
