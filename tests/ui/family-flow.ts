import { expect } from 'vitest';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { shot, watchErrors, type DemoHub } from './browser.js';
import { ownerTour } from './tour.js';

export const OWNER = { name: 'Olivia Owner', username: 'olivia', password: 'correct horse battery', pin: '2468' };
export const ADULT = { name: 'Adam Adult', username: 'adam', password: 'adam password 1', pin: '1357' };
const T = { timeout: 30_000 };

/** A newcomer goes through first run with the setup code, names the home, and adds an adult. */
export async function firstRun(page: Page, hub: DemoHub, tag: string): Promise<void> {
  await page.goto(hub.url);
  await page.getByLabel('Setup code').fill(hub.setupCode());
  await page.getByLabel('Your name').fill(OWNER.name);
  await page.getByLabel('Username').fill(OWNER.username);
  await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
  await page.getByLabel('Password again').fill(OWNER.password);
  await page.getByLabel('PIN').fill(OWNER.pin);
  await shot(page, `${tag}-01-setup-account`);
  await page.getByRole('button', { name: 'Create account' }).click();

  await page.getByLabel('Home name').waitFor(T);
  // Left and resumed: the wizard reads its progress from the server, so a reload comes back here.
  await page.reload();
  await page.getByLabel('Home name').waitFor(T);
  expect(await page.locator('.steps li.done').count()).toBe(1);
  await page.getByLabel('Home name').fill('Maple House');
  await page.getByLabel('Time zone').fill('Europe/London');
  await page.getByRole('button', { name: 'Save and continue' }).click();

  // A connection test says exactly what failed: nothing listens on port 1.
  await page.getByRole('heading', { name: 'Connect what your home has' }).waitFor(T);
  await page.getByLabel('Home Assistant address').fill('http://127.0.0.1:1');
  await page.getByLabel('Long-lived access token').fill('not-a-real-token');
  await page.getByRole('button', { name: 'Test connection' }).first().click();
  const result = page.locator('.connection').first().locator('.result, .error');
  await result.waitFor(T);
  expect(await result.textContent()).toMatch(/127\.0\.0\.1|ECONNREFUSED|refused|not found/i);
  await shot(page, `${tag}-02-setup-connections`);
  // The cloud link is read once at start: saving it says a restart is needed (Home Assistant does not).
  const link = page.locator('.connection', { has: page.getByRole('heading', { name: 'Cloud link' }) });
  await link.getByLabel('Broker address').fill('mqtts://relay.example:8883');
  await link.getByLabel('Hub id').fill('maple-house');
  await link.getByRole('button', { name: 'Save' }).click();
  await link.getByText(/Saved\. Restart the hub to apply it \(link\.(url|hub_id), link\.(url|hub_id)\)\./).waitFor(T);
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: 'Add your family' }).waitFor(T);
  await page.getByLabel('Name', { exact: true }).fill(ADULT.name);
  await page.getByLabel('Username').fill(ADULT.username);
  await page.getByLabel('Role').selectOption('adult');
  await page.getByLabel('Password').fill(ADULT.password);
  await page.getByLabel('PIN').fill(ADULT.pin);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByText(`${ADULT.name} (Adult) added`).waitFor(T);
  await shot(page, `${tag}-03-setup-family`);
  await page.getByRole('button', { name: 'Finish' }).click();
  await page.getByRole('link', { name: 'Go to your home' }).click();
  await page.locator('[data-entity="lock.demo_front_door"]').waitFor(T);
}

export async function signIn(page: Page, url: string, who: { username: string; password: string }, tag: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Username').fill(who.username);
  // A wrong password: the API's own words, in place.
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const err = page.getByRole('alert');
  await err.waitFor(T);
  expect(await err.textContent()).toMatch(/Details: ([A-Z_]+)$/); // the sentence, then the code in a details line
  await shot(page, `${tag}-00-login-error`);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-entity="lock.demo_front_door"]').waitFor(T);
}

/**
 * The whole family flow in two browser contexts: the adult asks to unlock the front door, the
 * owner sees the request appear live, approves with the PIN, and the adult sees the lock open.
 */
export async function familyFlow(browser: Browser, hub: DemoHub, tag: string, options: BrowserContextOptions): Promise<void> {
  const errors: string[] = [];
  const ownerCtx = await browser.newContext(options);
  const adultCtx = await browser.newContext(options);
  // The machine is shared and often busy: be patient with each step, never with the outcome.
  ownerCtx.setDefaultTimeout(45_000);
  adultCtx.setDefaultTimeout(45_000);
  try {
    const owner = await ownerCtx.newPage();
    watchErrors(owner, errors);
    await firstRun(owner, hub, tag);
    await shot(owner, `${tag}-04-home`);

    // The owner waits on the Approvals page; nothing is pending yet.
    await owner.getByRole('link', { name: /^Approvals/ }).click();
    await owner.getByText('Nothing is waiting.').waitFor(T);

    const adult = await adultCtx.newPage();
    watchErrors(adult, errors);
    await signIn(adult, hub.url, ADULT, tag);
    // The adult's menu follows the role: no Settings (the server would refuse them anyway).
    expect(await adult.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).count()).toBe(0);
    // Keyboard: the first Tab lands on the skip link, which moves focus to the content.
    await adult.keyboard.press('Tab');
    expect(await adult.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    const door = adult.locator('[data-entity="lock.demo_front_door"]');
    expect(await door.getByTestId('state').textContent()).toBe('Locked');
    await door.getByRole('button', { name: 'Unlock' }).click();
    await door.getByText('Waiting for approval').waitFor(T);
    expect(await door.locator('.waiting').textContent()).toMatch(/owner.*until/i);
    // A reload (a phone waking up) still shows the request waiting.
    await adult.reload();
    await door.getByText('Waiting for approval').waitFor(T);
    await shot(adult, `${tag}-05-adult-waiting`);

    // It appears on the owner's page without a reload (the event stream).
    const card = owner.locator('li.approval').first();
    await card.waitFor(T);
    expect(await card.textContent()).toContain('Unlock Front door');
    expect(await card.textContent()).toContain(ADULT.name);
    await shot(owner, `${tag}-06-owner-approvals`);
    const pin = card.getByLabel('Your PIN');
    if (!(await pin.isVisible())) {
      // The policy asks for the PIN only once the API says so (PIN_REQUIRED).
      await card.getByRole('button', { name: 'Approve' }).click();
      await pin.waitFor(T);
    }
    await pin.fill(OWNER.pin);
    await card.getByRole('button', { name: 'Approve' }).click();

    // The adult sees the lock open.
    await door.getByTestId('state').filter({ hasText: 'Unlocked' }).waitFor(T);
    await door.getByText('Approved and done.').waitFor(T);
    await shot(adult, `${tag}-07-adult-unlocked`);
    await owner.getByText('Nothing is waiting.').waitFor(T);
    await ownerTour(owner, tag);
    expect(errors).toEqual([]);
  } catch (err) {
    // What each browser showed when it failed, for whoever reads the failure.
    for (const [who, ctx] of [
      ['owner', ownerCtx],
      ['adult', adultCtx],
    ] as const) {
      for (const p of ctx.pages()) await shot(p, `${tag}-FAILED-${who}`).catch(() => undefined);
    }
    throw err;
  } finally {
    await ownerCtx.close();
    await adultCtx.close();
  }
}
