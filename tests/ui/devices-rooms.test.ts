import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import type { BrowserContext, Page } from 'playwright-core';
import { setupOwner, shot, useBrowserHub, watchErrors } from './browser.js';
import { OWNER } from './family-flow.js';

const T = { timeout: 30_000 };

/** A Zigbee2MQTT plug's discovery config, as Zigbee2MQTT publishes it. */
const PLUG = {
  name: 'Plug 0x00158d',
  uniq_id: '0x00158d0009_switch_z2m',
  cmd_t: 'zigbee2mqtt/0x00158d0009/set',
  stat_t: 'zigbee2mqtt/0x00158d0009',
  val_tpl: '{{ value_json.state }}',
  pl_on: 'ON',
  pl_off: 'OFF',
  avty_t: 'zigbee2mqtt/bridge/state',
  dev: { ids: ['zigbee2mqtt_0x00158d0009'], name: 'Plug 0x00158d', mf: 'IKEA', mdl: 'E1603' },
};

async function noSideScroll(page: Page): Promise<void> {
  const { scroll, width } = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, width: window.innerWidth })')) as {
    scroll: number;
    width: number;
  };
  expect(scroll).toBeLessThanOrEqual(width);
}

/**
 * Devices and rooms in Chromium against a real `hearth start` with the demo home: "Add a device"
 * makes a broker login, shows the settings to type in, waits live while a real MQTT client
 * (mqtt.js) signs in with that login and publishes discovery, then names the new device and
 * puts it in a room; Home shows it under that room, and as a favourite on top.
 */
describe('web UI: devices and rooms', () => {
  const env = useBrowserHub();

  it('adds a device through the page, names it, puts it in a room, and finds it there on desktop and a 360-px phone', { timeout: 240_000 }, async () => {
    const errors: string[] = [];
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(45_000);
    let phone: BrowserContext | undefined;
    let device: mqtt.MqttClient | undefined;
    try {
      const { cookie, asOwner } = await setupOwner(ctx, env.hub, OWNER);
      const page = await ctx.newPage();
      watchErrors(page, errors);
      await page.goto(env.hub.url);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
      await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor(T);
      // The demo home's devices are listed, marked as demo.
      const frontDoor = page.locator('.device-list li', { hasText: 'Front door' }).first();
      await frontDoor.waitFor(T);
      expect(await frontDoor.locator('.tag.demo').textContent()).toBe('Demo');
      expect(await frontDoor.textContent()).toMatch(/Online/);
      expect(await frontDoor.textContent()).toMatch(/last heard/);
      await shot(page, 'devices-01-list');

      // Add a device: the kind, the login, the settings.
      await page.getByRole('button', { name: 'Add a device' }).click();
      await page.getByRole('heading', { name: 'Add a device' }).waitFor(T);
      await page.getByRole('radio', { name: /Zigbee2MQTT/ }).check();
      await page.getByRole('button', { name: 'Make the login' }).click();
      const block = page.getByTestId('device-settings');
      await block.waitFor(T);
      const text = (await block.textContent()) ?? '';
      const server = /server: (mqtt:\/\/[^\s]+)/.exec(text)?.[1];
      const user = /user: (\S+)/.exec(text)?.[1];
      const password = /password: (\S+)/.exec(text)?.[1];
      expect(server).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      expect(user).toBe('zigbee2mqtt');
      expect(password?.length).toBeGreaterThan(10);
      expect(text).toContain('homeassistant:\n  enabled: true');
      await page.getByText(/Waiting for the device to connect/).waitFor(T);
      // The login exists on the hub.
      const logins = (await (await asOwner('/devices/credentials')).json()) as { credentials: Array<{ username: string }> };
      expect(logins.credentials.map((c) => c.username)).toContain('zigbee2mqtt');

      // The device, for real: mqtt.js with the login the page made.
      device = await mqtt.connectAsync(server!, { username: user, password, clientId: 'zigbee2mqtt_bridge', reconnectPeriod: 0 });
      await device.publishAsync('zigbee2mqtt/bridge/state', 'online', { retain: true });
      await device.publishAsync('homeassistant/switch/0x00158d0009/switch/config', JSON.stringify(PLUG), { retain: true });
      await device.publishAsync('zigbee2mqtt/0x00158d0009', JSON.stringify({ state: 'ON' }), { retain: true });
      await page.getByText('Found 1 new device').waitFor(T);
      await shot(page, 'devices-02-add-found');
      const found = page.locator('[data-entity="switch.plug_0x00158d"]');
      await found.getByLabel('Name').fill('Kettle');
      await found.getByLabel('Room').fill('Kitchen');
      await found.getByRole('button', { name: 'Save' }).click();
      await found.getByText('Saved: Kettle in Kitchen.').waitFor(T);
      const saved = (await (await asOwner('/entities/switch.plug_0x00158d')).json()) as { name: string; area: string; source: string };
      expect(saved).toMatchObject({ name: 'Kettle', area: 'Kitchen', source: 'mqtt' });

      // Home: under Kitchen.
      await found.getByRole('link', { name: 'See it on Home' }).click();
      const kitchen = page.getByRole('region', { name: 'Kitchen' });
      await kitchen.waitFor(T);
      const kettle = kitchen.locator('[data-entity="switch.plug_0x00158d"]');
      expect(await kettle.getByRole('heading').textContent()).toBe('Kettle');
      expect(await kettle.getByTestId('state').textContent()).toBe('On');
      await shot(page, 'devices-03-home-kitchen');

      // Its own page: the facts, its history, what people did with it; then a favourite.
      await kettle.getByRole('link', { name: 'Kettle' }).click();
      await page.getByRole('heading', { name: 'Kettle', level: 1 }).waitFor(T);
      await page.getByRole('heading', { name: 'History' }).waitFor(T);
      await page.locator('ol.timeline li', { hasText: 'On' }).first().waitFor(T);
      await page.locator('ol.timeline li', { hasText: `${OWNER.name} changed its name, room or visibility` }).waitFor(T);
      await page.getByRole('button', { name: '☆ Add to favourites' }).click();
      await page.getByRole('button', { name: '★ Favourite' }).waitFor(T);
      await shot(page, 'devices-04-detail');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
      const favs = page.getByRole('region', { name: 'Favourites' });
      await favs.waitFor(T);
      expect(await favs.locator('[data-entity]').evaluateAll((els) => els.map((e) => e.getAttribute('data-entity')))).toEqual(['switch.plug_0x00158d']);

      // Hide the hallway motion sensor: gone from Home, still on Devices, marked hidden.
      await page.goto(`${env.hub.url}/devices`);
      const motion = page.locator('.device-list li', { hasText: 'Hallway motion' }).first();
      await motion.getByRole('button', { name: /^Edit/ }).click();
      await motion.getByLabel(/Hide from Home/).check();
      await motion.getByLabel('How risky is using it').selectOption('high');
      await motion.getByRole('button', { name: 'Save' }).click();
      await motion.locator('.tag', { hasText: 'Hidden' }).waitFor(T);
      const settings = (await (await asOwner('/settings')).json()) as { policy: { overrides: Record<string, Record<string, string>> } };
      expect(settings.policy.overrides['binary_sensor.demo_hallway_motion']).toEqual({ '*': 'high' });
      await page.goto(env.hub.url);
      await page.getByRole('region', { name: 'Kitchen' }).waitFor(T);
      expect(await page.locator('[data-entity="binary_sensor.demo_hallway_motion"]').count()).toBe(0);

      // A 360-px phone: the same, without sideways scrolling.
      phone = await env.browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
      phone.setDefaultTimeout(45_000);
      await phone.addCookies([{ name: 'hearth_session', value: cookie, url: env.hub.url }]);
      const p = await phone.newPage();
      watchErrors(p, errors);
      await p.goto(`${env.hub.url}/devices`);
      await p.locator('.device-list li', { hasText: 'Kettle' }).waitFor(T);
      await noSideScroll(p);
      await shot(p, 'devices-05-phone-list');
      await p.goto(`${env.hub.url}/devices/switch.plug_0x00158d`);
      await p.getByRole('heading', { name: 'Kettle', level: 1 }).waitFor(T);
      await noSideScroll(p);
      await shot(p, 'devices-06-phone-detail');
      // The home on the phone: grouped by room, the new Kettle under the Kitchen it was put in.
      await p.goto(env.hub.url);
      await p.getByRole('region', { name: 'Kitchen' }).getByText('Kettle').waitFor(T);
      await noSideScroll(p);
      await shot(p, 'devices-07-phone-home-rooms', false);
      await p.goto(`${env.hub.url}/devices/add`);
      await p.getByRole('radio', { name: /Tasmota/ }).check();
      await noSideScroll(p);
      // Touch targets: every button on the page is at least 44 px tall.
      const small = await p.locator('button:visible').evaluateAll((els) => els.filter((e) => e.getBoundingClientRect().height < 44).map((e) => e.textContent));
      expect(small).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      device?.end(true);
      await phone?.close();
      await ctx.close();
    }
  });

  it('a demo sensor set from its card; the demo turned off and on from Settings, real devices staying', { timeout: 240_000 }, async () => {
    const errors: string[] = [];
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(45_000);
    try {
      // The owner made in the first test; sign in through the API into this context.
      const signIn = await ctx.request.post(`${env.hub.url}/api/v1/auth/login`, { data: { username: OWNER.username, password: OWNER.password } });
      expect(signIn.status()).toBe(200);
      const page = await ctx.newPage();
      watchErrors(page, errors);
      await page.goto(env.hub.url);
      const backDoor = page.locator('[data-entity="binary_sensor.demo_back_door"]');
      await backDoor.waitFor(T);
      expect(await backDoor.getByTestId('state').textContent()).toBe('Closed');
      expect(await backDoor.locator('.tag.demo').textContent()).toBe('Demo');
      // Under its room from the start.
      expect(await page.getByRole('region', { name: 'Kitchen' }).locator('[data-entity="binary_sensor.demo_back_door"]').count()).toBe(1);
      await backDoor.getByRole('button', { name: 'Open the door (simulated)' }).click();
      await expect.poll(() => backDoor.getByTestId('state').textContent(), T).toBe('Open');
      await backDoor.getByRole('button', { name: 'Close the door (simulated)' }).waitFor(T);
      const leak = page.locator('[data-entity="binary_sensor.demo_kitchen_leak"]');
      await leak.getByRole('button', { name: 'Simulate a leak' }).click();
      await leak.getByRole('button', { name: 'Dry it up' }).waitFor(T);
      await shot(page, 'demo-01-sensors');

      // Off from Settings → Home: the demo's devices go, the real Kettle stays.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('tab', { name: 'Home' }).click();
      const demoBox = page.getByLabel('Show the demo home');
      expect(await demoBox.isChecked()).toBe(true);
      await demoBox.uncheck();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Saved.').waitFor(T);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
      await page.locator('[data-entity="switch.plug_0x00158d"]').waitFor(T);
      await expect.poll(() => page.locator('.tag.demo').count(), T).toBe(0);
      expect(await page.locator('[data-entity^="lock."]').count()).toBe(0);
      await shot(page, 'demo-02-off');

      // On again: back, with their rooms.
      await page.goto(`${env.hub.url}/settings?tab=home`);
      await page.getByLabel('Show the demo home').check();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Saved.').waitFor(T);
      await page.goto(env.hub.url);
      await page.locator('[data-entity="lock.demo_front_door"]').waitFor(T);
      expect(await page.getByRole('region', { name: 'Hall' }).locator('[data-entity="lock.demo_front_door"]').count()).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
