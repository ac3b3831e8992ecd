import { describe, expect, it } from 'vitest';
import { setupOwner, shot, useBrowserHub, watchErrors } from './browser.js';
import { OWNER } from './family-flow.js';

const T = { timeout: 30_000 };

/** A new owner added from the web UI appears only after the owner confirms with the PIN, and the trail shows it. */
describe("the hub's own changes in the web UI", () => {
  const env = useBrowserHub();

  it('an owner adds a second owner; it waits for the PIN in place, then Sam is listed and the trail tells it', { timeout: 120_000 }, async () => {
    const setupCtx = await env.browser.newContext();
    const { asOwner } = await setupOwner(setupCtx, env.hub, OWNER);
    // A later sign-in with the password only: no PIN confirmed on it yet.
    const ctx = await env.browser.newContext();
    ctx.setDefaultTimeout(45_000);
    const page = await ctx.newPage();
    const errors: string[] = [];
    watchErrors(page, errors);
    await page.goto(env.hub.url);
    await page.getByLabel('Username').fill(OWNER.username);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'People' }).click();
    await page.getByRole('button', { name: 'Add a person' }).click();
    const form = page.getByRole('form', { name: 'Add a person' });
    await form.getByLabel('Name', { exact: true }).fill('Sam');
    await form.getByLabel('Username').fill('sam');
    await form.getByLabel('Role').selectOption('owner');
    await form.getByLabel('Password').fill('sams own long passphrase');
    await form.getByRole('button', { name: 'Add', exact: true }).click();
    const confirm = page.getByRole('group', { name: 'Confirm with your PIN' });
    await confirm.getByText('add Sam as an owner').waitFor(T);
    // Not there yet.
    const names = async () => ((await (await asOwner('/members')).json()) as { members: { username: string }[] }).members.map((m) => m.username);
    expect(await names()).toEqual([OWNER.username]);
    await shot(page, 'hub-changes-01-confirm-pin');
    await confirm.getByLabel('Your PIN').fill(OWNER.pin);
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('li.person', { hasText: 'Sam' }).waitFor(T);
    expect((await names()).sort()).toEqual(['olivia', 'sam']);

    const trail = (await (await asOwner('/audit?limit=200')).json()) as {
      entries: { kind: string; data: { action?: { entity_id: string; operation: string } } }[];
    };
    const requested = trail.entries.find((e) => e.kind === 'approval.requested' && e.data.action?.operation === 'add_owner');
    expect(requested?.data.action?.entity_id).toBe('hub.members');
    expect(trail.entries.some((e) => e.kind === 'approval.executed')).toBe(true);
    expect(JSON.stringify(trail)).not.toContain('sams own long passphrase');
    expect(errors).toEqual([]);
  });
});
