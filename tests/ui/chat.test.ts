import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { setupOwner, shot, useBrowserHub, watchErrors } from './browser.js';
import { OWNER } from './family-flow.js';

const T = { timeout: 30_000 };
const BEN = { username: 'ben', password: 'ben password 12', name: 'Ben' };

/** The chat panel of a page: opened with its button, if it is not open yet. */
async function openChat(page: Page) {
  const panel = page.getByRole('region', { name: 'Ask Hearth' });
  if (!(await panel.isVisible())) await page.getByRole('button', { name: 'Ask Hearth' }).click();
  await panel.waitFor(T);
  return panel;
}

/** Types into the chat and sends with Enter (the keyboard path); waits for Hearth's answer. */
async function say(page: Page, text: string, answer: RegExp): Promise<string> {
  const panel = await openChat(page);
  const lines = panel.locator('.chat-line.hearth');
  const before = await lines.count();
  await panel.getByLabel('Message to Hearth').fill(text);
  await panel.getByLabel('Message to Hearth').press('Enter');
  await expect.poll(() => lines.count(), T).toBeGreaterThan(before);
  const said = (await lines.last().textContent()) ?? '';
  expect(said).toMatch(answer);
  return said;
}

/**
 * "Ask Hearth" in Chromium against a real `hearth start` with the demo home: a family member
 * on a phone asks about the garage, locks up, and asks to unlock, which waits for approval;
 * the owner approves from the chat with a choice and the PIN field.
 */
describe('web UI: the chat box on the dialogue', () => {
  const env = useBrowserHub();

  it('a family member asks and commands at 360 px; an unlock waits; the owner approves with a choice and the PIN', { timeout: 240_000 }, async () => {
    const errors: string[] = [];
    const ownerCtx = await env.browser.newContext({ viewport: { width: 1280, height: 860 } });
    let benCtx: BrowserContext | undefined;
    try {
      const { asOwner } = await setupOwner(ownerCtx, env.hub, OWNER);
      const made = await asOwner('/members', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: BEN.username, display_name: BEN.name, role: 'adult', password: BEN.password, pin: '1357' }),
      });
      expect(made.status).toBe(201);

      // Ben, on a phone in dark mode.
      benCtx = await env.browser.newContext({
        viewport: { width: 360, height: 740 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
        colorScheme: 'dark',
      });
      const ben = await benCtx.newPage();
      watchErrors(ben, errors);
      await ben.goto(env.hub.url);
      await ben.getByLabel('Username').fill(BEN.username);
      await ben.getByLabel('Password').fill(BEN.password);
      await ben.getByRole('button', { name: 'Sign in' }).click();
      await ben.locator('[data-entity="lock.demo_front_door"]').waitFor(T);

      // The chat is on every page; opened, the message field has the focus.
      await ben.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Health' }).click();
      const toggle = ben.getByRole('button', { name: 'Ask Hearth' });
      expect(await toggle.getAttribute('aria-expanded')).toBe('false');
      await toggle.click();
      const panel = ben.getByRole('region', { name: 'Ask Hearth' });
      await panel.waitFor(T);
      expect(await ben.evaluate("document.activeElement?.getAttribute('placeholder')")).toBe('Ask or tell Hearth…');

      await say(ben, 'is the garage open?', /^Hearth: No, the .*garage door is closed\.$/i);
      await say(ben, 'lock the front door', /Done: lock the .*front door\..*done$/i);
      await say(ben, 'lock up', /Done: lock the .*front door\./i);
      await say(ben, 'unlock the front door', /I need approval to unlock the .*front door\. Waiting for approval from Olivia Owner\..*waiting for approval$/i);
      expect(await panel.locator('.chat-status.pending').count()).toBe(1);
      // Fits 360 px: nothing scrolls sideways.
      expect(await ben.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      await shot(ben, 'chat-01-phone-waiting', false);

      // Choices are buttons: "turn on the light" asks which one, a press answers.
      await say(ben, 'turn on the light', /Which light do you mean\?/);
      await panel
        .getByRole('group', { name: 'Choices' })
        .getByRole('button', { name: /Porch light$/ })
        .click();
      await expect.poll(async () => (await panel.locator('.chat-line.hearth').last().textContent()) ?? '', T).toMatch(/Done: turn on the .*porch light\./i);
      // Escape closes the panel and gives the focus back to its button.
      await panel.getByLabel('Message to Hearth').press('Escape');
      await panel.waitFor({ state: 'detached', ...T });
      expect(await ben.evaluate('document.activeElement?.textContent')).toBe('Ask Hearth');

      // The owner approves from the chat: the pending request as a choice, then the PIN field.
      const owner = await ownerCtx.newPage();
      watchErrors(owner, errors);
      await owner.goto(env.hub.url);
      await say(owner, 'approvals', /Ben asks to unlock the .*front door/i);
      const ownerPanel = await openChat(owner);
      await ownerPanel.getByRole('button', { name: /^Approve: unlock the .*front door \(Ben\)$/i }).click();
      const pin = ownerPanel.getByLabel('Your PIN');
      await pin.waitFor(T);
      expect(await pin.getAttribute('type')).toBe('password');
      await pin.fill(OWNER.pin);
      await shot(owner, 'chat-02-owner-pin', false);
      await ownerPanel.getByRole('button', { name: 'Approve' }).click();
      await expect
        .poll(async () => (await ownerPanel.locator('.chat-line.hearth').last().textContent()) ?? '', T)
        .toMatch(/Approved\. Done: unlock the .*front door\./i);
      // The PIN is never shown back.
      expect(await ownerPanel.locator('.chat-line.you').allTextContents()).not.toContainEqual(expect.stringContaining(OWNER.pin));
      const lock = (await (await asOwner('/entities/lock.demo_front_door')).json()) as { state: string };
      expect(lock.state).toBe('unlocked');
      // Ben's chat tells him how his request ended, live.
      const benPanel = await openChat(ben);
      await expect
        .poll(async () => (await benPanel.locator('.chat-line.hearth').last().textContent()) ?? '', T)
        .toMatch(/Your request was approved and done\./);
      expect(errors).toEqual([]);
    } finally {
      await benCtx?.close();
      await ownerCtx.close();
    }
  });
});
