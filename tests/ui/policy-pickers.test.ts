import { describe, expect, it } from 'vitest';
import { setupOwner, useBrowserHub, watchErrors } from './browser.js';
import { OWNER } from './family-flow.js';

const T = { timeout: 30_000 };
const json = (body: unknown): RequestInit => ({ method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The role rules are pickers (devices by kind or by room and name, the actions they support), stored as the policy's patterns. */
describe('web UI: policy pickers', () => {
  const env = useBrowserHub();

  it('a child rule picked as "turn on / turn off the Kitchen light" reads as a sentence and is saved as patterns', { timeout: 180_000 }, async () => {
    const errors: string[] = [];
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 860 } });
    ctx.setDefaultTimeout(45_000);
    const { asOwner } = await setupOwner(ctx, env.hub, OWNER);
    // A rule the pickers cannot show stays a pattern, and says so.
    const settings = (await (await asOwner('/settings')).json()) as { policy: { roles: Record<string, { allow: string[]; deny: string[] }> } };
    const child = settings.policy.roles.child!;
    expect((await asOwner('/settings', json({ policy: { roles: { ...settings.policy.roles, child: { ...child, deny: ['cover.*garage*'] } } } }))).status).toBe(
      200,
    );
    const page = await ctx.newPage();
    watchErrors(page, errors);
    await page.goto(`${env.hub.url}/settings`);
    const children = page.locator('fieldset.card', { has: page.locator('legend', { hasText: /^Children$/ }) });
    await children.waitFor(T);
    const allow = children.locator('#role-child-allow');
    // The defaults (light.*, switch.*, …) show as kinds.
    expect(await allow.getByLabel('Devices').first().inputValue()).toBe('light.*');
    await expect.poll(() => children.getByLabel('Pattern').inputValue()).toBe('cover.*garage*');
    await children.getByText('The pickers cannot show this rule').waitFor(T);
    // Every rule but the first goes; the first becomes the Kitchen light (by room and name), turn on; a second one, turn off.
    while ((await allow.getByRole('button', { name: /^Remove rule/ }).count()) > 1)
      await allow
        .getByRole('button', { name: /^Remove rule/ })
        .last()
        .click();
    await allow.getByLabel('Devices').first().selectOption({ label: 'Kitchen light' });
    await allow.getByLabel('Actions').first().selectOption({ label: 'Turn on' });
    await allow.getByRole('button', { name: 'Add a rule' }).click();
    await allow.getByLabel('Devices').nth(1).selectOption({ label: 'Kitchen light' });
    // The actions offered are the light's.
    expect(await allow.getByLabel('Actions').nth(1).locator('option').allTextContents()).toEqual(['Anything', 'Toggle', 'Turn off', 'Turn on']);
    await allow.getByLabel('Actions').nth(1).selectOption({ label: 'Turn off' });
    await children.getByText(/^Children may turn on or turn off the Kitchen light \(Kitchen\) except “cover\.\*garage\*”/).waitFor(T);
    await page.getByRole('button', { name: 'Save the policy' }).click();
    await page.getByText(/Saved: \d+ change/).waitFor(T);
    const saved = (await (await asOwner('/settings')).json()) as typeof settings;
    expect(saved.policy.roles.child!.allow).toEqual(['light.demo_kitchen:turn_on', 'light.demo_kitchen:turn_off']);
    expect(saved.policy.roles.child!.deny).toEqual(['cover.*garage*']);
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
