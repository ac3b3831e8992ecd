import { afterEach, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ManualClock } from '../../src/core/clock.js';
import { launchChromium, watchErrors } from '../ui/browser.js';
import { MARY, attempts, startPhoneHub, type PhoneHub } from './support.js';

describe('People → the elder → Check-ins', () => {
  let p: PhoneHub | undefined;
  let browser: Browser | undefined;
  afterEach(async () => {
    await browser?.close();
    await p?.stop();
    p = browser = undefined;
  });

  it('the owner sets the schedule and the order, calls now, and sees what happened', { timeout: 90_000 }, async () => {
    p = await startPhoneHub(new ManualClock(Date.UTC(2026, 0, 15, 9, 0, 0)));
    browser = await launchChromium();
    const ctx = await browser.newContext();
    const [name, value] = p.cookie.split('=') as [string, string];
    await ctx.addCookies([{ name, value, url: p.h.t.url }]);
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    watchErrors(page, errors);
    await page.goto(`${p.h.t.url}/people`);
    await page.getByText('Check-ins').click();
    const form = page.getByRole('form', { name: 'Check-ins for Mary' });
    await form.getByLabel('Call at (home time, comma separated)').fill('08:15, 18:00');
    await form.getByLabel('Tell first').selectOption({ label: 'Ann' });
    await form.getByLabel('Then call').first().selectOption({ label: 'Ben' });
    await form.getByRole('button', { name: 'Start check-ins' }).click();
    await expect.poll(() => p!.engine.store.list(p!.ids.mary)[0]?.escalate_to).toEqual([p.ids.ann, p.ids.ben]);
    expect(p.engine.store.list(p.ids.mary)[0]!.times).toEqual(['08:15', '18:00']);
    await form.getByRole('button', { name: 'Call now' }).click();
    await p.pass();
    const call = await p.tw.callTo(MARY);
    await p.tw.answer(call);
    await p.tw.gather(call, { Digits: '1' });
    const checkinId = p.engine.store.list(p.ids.mary)[0]!.id;
    await expect.poll(async () => (await attempts(p!, checkinId))[0]?.outcome).toBe('ok');
    await page.reload();
    await page.getByText('Check-ins').click();
    const history = page.getByRole('table', { name: 'Check-in history' });
    await expect.poll(() => history.textContent()).toMatch(/Fine.*pressed 1/);
    expect(errors).toEqual([]);
  });
});
