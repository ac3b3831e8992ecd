import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { shot } from './browser.js';
import { ADULT } from './family-flow.js';

const T = { timeout: 30_000 };

/**
 * After the family flow, the owner walks the other pages: the approval's story in the audit,
 * the chain verified, pairing that says how to set up a bot, health, and a policy change previewed.
 */
export async function ownerTour(page: Page, tag: string): Promise<void> {
  // Approvals history links to the story of the approval in the audit trail.
  await page.getByRole('link', { name: /^Approvals/ }).click();
  await page.locator('.history li').first().waitFor(T);
  await page.locator('.history li').first().getByRole('link', { name: 'story' }).click();
  await page.getByText('The story of').waitFor(T);
  await page.locator('ol.timeline li').first().waitFor(T);
  // Sentences on the cards; each entry's kind stays behind "Details".
  const kinds = await page.locator('ol.timeline li details button.link').allTextContents();
  expect(kinds.some((k) => k.startsWith('approval.'))).toBe(true);
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await page.getByText(/Intact: \d+ entries/).waitFor(T);
  await shot(page, `${tag}-08-audit-story`);
  expect(await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toBe('/api/v1/audit/export.csv');

  // People: this hub has no Telegram bot, so pairing says how to get one instead of a dead-end code.
  await page.getByRole('link', { name: 'People' }).click();
  const off = page.getByTestId('pairing-off').first();
  await off.waitFor(T);
  expect(await off.textContent()).toMatch(/@BotFather/);
  expect(await page.getByRole('button', { name: `Telegram pairing code for ${ADULT.name}` }).count()).toBe(0);
  await shot(page, `${tag}-09-people-pairing`);

  // Per-person notifications: quiet hours, read back as a sentence, saved.
  const adultCard = page.locator('li.person', { hasText: ADULT.name });
  await adultCard.getByText('Notifications').click();
  await adultCard.getByLabel('Quiet hours').check();
  await adultCard.getByText('between 22:00 and 07:00 only urgent ones').waitFor(T);
  await adultCard.getByRole('button', { name: 'Save notifications' }).click();
  await adultCard.getByText('Saved.').waitFor(T);

  // Health: one sentence first, the components with status and detail under "Technical details".
  await page.getByRole('link', { name: 'Health' }).click();
  await page.locator('.health-sentence').waitFor(T);
  await page.getByText('Technical details').click();
  await page.locator('.components li').first().waitFor(T);
  expect(await page.locator('.components li').count()).toBeGreaterThan(2);
  await shot(page, `${tag}-10-health`);

  // Settings: a change to the policy reads back as a sentence before it is saved.
  await page.getByRole('link', { name: 'Settings' }).click();
  const quorum = page.getByLabel('How many approvals').nth(1); // high risk
  await quorum.waitFor(T);
  // Every risk picker offers the four risks (one RiskOptions for all of them).
  const options = (label: string) => page.getByLabel(label).first().locator('option').allTextContents();
  expect(await options('Highest risk they may ask for')).toEqual(['Nothing at all', 'Low', 'Medium', 'High', 'Critical']);
  expect(await options('Runs without approval up to')).toEqual(['Always ask', 'Low', 'Medium', 'High', 'Critical']);
  await quorum.fill('2');
  await page.getByText('High-risk actions need 2 approvals from owners').waitFor(T);
  await shot(page, `${tag}-11-settings-policy`, false);
  await page.getByRole('button', { name: 'Undo changes' }).click();
  await page.getByText('High-risk actions need one approval from owners').waitFor(T);
  // A change saved goes through PATCH /settings and is read back.
  await page.getByLabel('Minutes to decide').first().fill('10');
  await page.getByText('Medium-risk actions need one approval from owners or adults, within 10 minutes').waitFor(T);
  await page.getByRole('button', { name: 'Save the policy' }).click();
  await page.getByText(/Saved: \d+ change/).waitFor(T);
  expect(await page.getByLabel('Minutes to decide').first().inputValue()).toBe('10');
}
