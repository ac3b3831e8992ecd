import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import mqtt, { type MqttClient } from 'mqtt';
import { launchChromium, setupOwner, shot, startDemoHub, watchErrors, type AsOwner, type DemoHub } from './browser.js';
import { ADULT, OWNER } from './family-flow.js';

const T = { timeout: 30_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connects like a device would, without retrying; rejects with mqtt.js's error (its `code` is the CONNACK code). */
function connectDevice(url: string, username: string, password: string, clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { username, password, clientId, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

/** Waits for `p` at most `ms`, or fails saying what did not happen. */
async function within<V>(ms: number, what: string, p: Promise<V>): Promise<V> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`not within ${ms} ms: ${what}`)))]);
}

/**
 * Device logins in the UI, checked with a real MQTT client against the hub's broker, and the
 * Approvals history paged back to its first request.
 */
describe('web UI: device logins and the approvals history, in Chromium against a real hub', () => {
  let browser: Browser;
  let hub: DemoHub;
  let ctx: BrowserContext;
  let asOwner: AsOwner;
  const errors: string[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    [browser, hub] = await Promise.all([launchChromium(), startDemoHub()]);
    ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    ctx.setDefaultTimeout(45_000);
    ({ asOwner } = await setupOwner(ctx, hub, OWNER));
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await ctx?.close();
    await browser?.close();
    await hub?.stop();
  });

  /** Runs a step with a page of the owner's context; a failure leaves a screenshot. */
  async function withPage(tag: string, fn: (page: Page) => Promise<void>, context = ctx): Promise<void> {
    const page = await context.newPage();
    watchErrors(page, errors);
    try {
      await fn(page);
      expect(errors).toEqual([]);
    } catch (err) {
      await shot(page, `devices-approvals-FAILED-${tag}`).catch(() => undefined);
      throw err;
    } finally {
      await page.close();
    }
  }

  it('the owner makes a device login, a real client uses it, deleting it cuts the client off', { timeout: 180_000 }, async () => {
    await withPage('logins', async (page) => {
      await page.goto(hub.url);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Access' }).click();
      const section = page.locator('#devices');
      await section.getByRole('heading', { name: 'Device logins' }).waitFor(T);
      await section.getByText('No device logins yet.').waitFor(T);

      // A username the server would refuse: said in place, nothing sent.
      await page.getByLabel('Device username').fill('kitchen plug');
      await page.getByRole('button', { name: 'Create the login' }).click();
      expect(await section.getByRole('alert').textContent()).toMatch(/letters, digits, _ \. and - only/);
      expect(await page.getByLabel('Device username').getAttribute('aria-invalid')).toBe('true');
      const none = (await (await asOwner('/devices/credentials')).json()) as { credentials: unknown[] };
      expect(none.credentials).toEqual([]);

      await page.getByLabel('Device username').fill('tasmota-plug-1');
      await page.getByLabel('Device note (optional)').fill('Plug by the kettle');
      await page.getByRole('button', { name: 'Create the login' }).click();
      const secretField = page.getByRole('textbox', { name: 'Password for “tasmota-plug-1”' });
      await secretField.waitFor(T);
      const password = await secretField.inputValue();
      expect(password.length).toBeGreaterThanOrEqual(24);
      await section.getByText('it will not be shown again').waitFor(T);

      // Where to connect, as the UI learnt it: the port the broker really listens on (health says).
      const url = (await section.locator('[data-broker]').textContent()) ?? '';
      const health = (await (await fetch(`${hub.url}/api/v1/health`)).json()) as { components: Record<string, { detail: string }> };
      const port = /:(\d+)$/.exec(url)?.[1];
      expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      expect(port).not.toBe('0');
      expect(health.components['mqtt.broker']?.detail).toContain(`127.0.0.1:${port};`);
      const hints = (await section.locator('.secret').textContent()) ?? '';
      expect(hints).toContain(`MqttHost 127.0.0.1; MqttPort ${port}; MqttUser tasmota-plug-1; MqttPassword ${password}`);
      expect(hints).toContain(`mqtt: {server: ${url}, user: tasmota-plug-1, password: ${password}}`);
      await shot(page, 'devices-approvals-01-login-created');

      // The same name again: the server's refusal, in its words, in place.
      await page.getByLabel('Device username').fill('tasmota-plug-1');
      await page.getByRole('button', { name: 'Create the login' }).click();
      await section.locator('form [role=alert]', { hasText: 'already exists' }).waitFor(T);
      expect(await section.locator('form [role=alert]').textContent()).toContain('Details: CREDENTIAL_EXISTS');

      // A real device: connects with what the page showed, subscribes and publishes.
      const device = await connectDevice(url, 'tasmota-plug-1', password, 'plug-1');
      clients.push(device);
      await device.subscribeAsync('tasmota/plug1/#', { qos: 1 });
      const heard = new Promise<string>((res) => device.once('message', (_t, payload) => res(payload.toString())));
      await device.publishAsync('tasmota/plug1/stat/POWER', 'ON', { qos: 1 });
      expect(await within(10_000, 'the published message came back', heard)).toBe('ON');
      // A wrong password is refused (CONNACK 4, bad username or password).
      await expect(connectDevice(url, 'tasmota-plug-1', `${password}x`, 'plug-bad')).rejects.toMatchObject({ code: 4 });

      // Shown once: gone after a reload; the list says when it last connected.
      await page.reload();
      const row = page.locator('#devices li[data-login="tasmota-plug-1"]');
      await row.waitFor(T);
      expect(await page.content()).not.toContain(password);
      expect(await row.textContent()).toContain('Plug by the kettle');
      expect(await row.textContent()).toMatch(/last connected (just now|\d+ min ago)/);
      expect(await row.textContent()).toContain(`by ${OWNER.name}`);

      // Delete, after a confirmation: the connected device is cut off at once, and stays out.
      expect(device.connected).toBe(true);
      const closed = new Promise<void>((res) => device.once('close', () => res()));
      let asked = '';
      page.once('dialog', (d) => {
        asked = d.message();
        void d.accept();
      });
      await row.getByRole('button', { name: 'Delete the device login tasmota-plug-1' }).click();
      await page.locator('#devices').getByText('No device logins yet.').waitFor(T);
      expect(asked).toMatch(/disconnected at once/);
      await within(10_000, 'the device was disconnected', closed);
      expect(device.connected).toBe(false);
      const after = (await (await asOwner('/devices/credentials')).json()) as { credentials: unknown[] };
      expect(after.credentials).toEqual([]);
      await expect(connectDevice(url, 'tasmota-plug-1', password, 'plug-1')).rejects.toMatchObject({ code: 4 });
      await shot(page, 'devices-approvals-02-login-deleted');
    });
  });

  it('pages back through more than two pages of past approvals, each exactly once, newest first', { timeout: 180_000 }, async () => {
    // An adult asks to unlock the front door (high risk: an owner must approve) and withdraws it.
    const made = await asOwner('/members', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ADULT.username, display_name: ADULT.name, role: 'adult', password: ADULT.password, pin: ADULT.pin }),
    });
    expect(made.status).toBe(201);
    const login = await fetch(`${hub.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ADULT.username, password: ADULT.password }),
    });
    expect(login.status).toBe(200);
    const adultCookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith('hearth_session='))!
      .split(';')[0]!;
    const asAdult = (path: string, body: unknown) =>
      fetch(`${hub.url}/api/v1${path}`, { method: 'POST', headers: { cookie: adultCookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const created: string[] = [];
    for (let i = 0; i < 120; i++) {
      const asked = await asAdult('/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock', reason: `paging test ${i}` });
      expect(asked.status).toBe(202);
      const id = ((await asked.json()) as { approval_id: string }).approval_id;
      expect((await asAdult(`/approvals/${id}/cancel`, {})).status).toBe(200);
      created.push(id);
    }

    await withPage('history', async (page) => {
      await page.goto(`${hub.url}/approvals`);
      const rows = page.locator('[data-history]');
      await page.getByText('Nothing is waiting.').waitFor(T);
      await expect.poll(() => rows.count(), T).toBe(50);
      const more = page.getByRole('button', { name: 'Show older' });
      await more.click();
      await expect.poll(() => rows.count(), T).toBe(100);
      expect(await page.getByText('No older approvals.').count()).toBe(0);
      // The last page with the keyboard; at the end focus moves to the words that say so.
      await more.focus();
      await page.keyboard.press('Enter');
      await page.getByText('No older approvals.').waitFor(T);
      expect(await more.count()).toBe(0);
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('history-end');

      const shown = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-history')));
      expect(new Set(shown).size).toBe(shown.length);
      for (const id of created)
        expect(
          shown.filter((s) => s === id),
          id,
        ).toHaveLength(1);
      // Newest first: exactly the requests made, in reverse order of making.
      expect(shown).toEqual([...created].reverse());
      expect(await rows.first().textContent()).toContain(`Asked by ${ADULT.name}`);
      await shot(page, 'devices-approvals-03-history-end', false);
    });
  });

  it('fits a 360 px phone in dark mode', { timeout: 120_000 }, async () => {
    const phone = await browser.newContext({
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
      colorScheme: 'dark',
      storageState: await ctx.storageState(),
    });
    phone.setDefaultTimeout(45_000);
    try {
      await withPage(
        'phone',
        async (small) => {
          await small.goto(`${hub.url}/access`);
          await small.getByLabel('Device username').fill('zigbee2mqtt.coordinator-in-the-hall-under-the-stairs');
          await small.getByLabel('Device note (optional)').fill('The Zigbee coordinator on the USB stick in the hall cupboard');
          await small.getByRole('button', { name: 'Create the login' }).click();
          await small.getByRole('textbox', { name: /Password for/ }).waitFor(T);
          await small.locator('#devices li[data-login]').waitFor(T);
          // A string: the root tsconfig has no DOM types. Positive numbers are pixels of sideways overflow.
          const overflow = (ids: string[]) =>
            small.evaluate(`({
              page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
              parts: ${JSON.stringify(ids)}.map((s) => { const el = document.querySelector(s); return el ? el.scrollWidth - el.clientWidth : -1; }),
            })`);
          expect(await overflow(['#devices', '#devices .secret', '#devices li[data-login]'])).toEqual({ page: 0, parts: [0, 0, 0] });
          await shot(small, 'devices-approvals-04-phone-dark-login');

          await small.goto(`${hub.url}/approvals`);
          await small.locator('[data-history]').first().waitFor(T);
          await small.getByRole('button', { name: 'Show older' }).click();
          await expect.poll(() => small.locator('[data-history]').count(), T).toBe(100);
          expect(await overflow(['main', '[data-history]'])).toEqual({ page: 0, parts: [0, 0] });
          await shot(small, 'devices-approvals-05-phone-dark-history', false);
        },
        phone,
      );
    } finally {
      await phone.close();
    }
  });
});
