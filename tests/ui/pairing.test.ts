import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, setupOwner, shot, watchErrors, type DemoHub } from './browser.js';
import { ADULT, OWNER } from './family-flow.js';
import { spawnHub, tempDir } from '../helpers/hub.js';
import { BOT_USER, FakeTelegram } from '../fakes/telegram-bot-api.js';

const T = { timeout: 30_000 };

/**
 * Telegram pairing in Chromium against `hearth start` whose bot talks to a fake Bot API: the
 * page names the bot (getMe), the QR code and the link are https://t.me/<bot>?start=<code>, and
 * the member who types the bare code into the chat is paired.
 */
describe('web UI: Telegram pairing with a t.me link', () => {
  let browser: Browser;
  let hub: DemoHub;
  let tg: FakeTelegram;
  beforeAll(async () => {
    tg = await new FakeTelegram().start();
    const dataDir = tempDir('hearth-ui-');
    const env = {
      HEARTH_HUB_DEMO: 'true',
      HEARTH_DATA_DIR: dataDir,
      HEARTH_TELEGRAM_TOKEN: tg.token,
      HEARTH_TELEGRAM_API_ROOT: tg.apiRoot,
      HEARTH_TELEGRAM_POLL_TIMEOUT_S: '1',
    };
    const [b, proc] = await Promise.all([launchChromium(), spawnHub([], { env, timeoutMs: 30_000 })]);
    browser = b;
    hub = {
      url: proc.url,
      dataDir,
      hub: proc,
      setupCode: () => readFileSync(join(dataDir, 'setup-code'), 'utf8').trim(),
      stop: async () => {
        proc.child.kill('SIGTERM');
        await proc.exited;
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await tg?.stop();
  });

  it('shows the bot, a t.me link and its QR code; the bare code typed in the chat pairs the member', { timeout: 180_000 }, async () => {
    const errors: string[] = [];
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(45_000);
    try {
      const { asOwner } = await setupOwner(ctx, hub, OWNER);
      const made = await asOwner('/members', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ADULT.username, display_name: ADULT.name, role: 'adult', password: ADULT.password, pin: ADULT.pin }),
      });
      expect(made.status).toBe(201);
      const adultId = ((await made.json()) as { id: string }).id;

      const page = await ctx.newPage();
      watchErrors(page, errors);
      await page.goto(`${hub.url}/people`);
      await page.getByRole('button', { name: `Telegram pairing code for ${ADULT.name}` }).click();
      const link = page.getByTestId('pairing-link');
      await link.waitFor(T);
      const href = (await link.getAttribute('href')) ?? '';
      expect(href).toMatch(new RegExp(`^https://t\\.me/${BOT_USER.username}\\?start=[0-9a-z]{8}$`));
      const code = href.split('=')[1]!;
      expect(await page.locator('svg.qr').first().getAttribute('aria-label')).toBe(`QR code of the link ${href}`);
      expect(await page.locator('.code-text').textContent()).toBe(code);
      expect(await page.getByText(`@${BOT_USER.username}`).count()).toBeGreaterThan(0);
      await shot(page, 'pairing-01-link');

      // The member types the code as they see it.
      const user = tg.user(4242, 'Adam');
      tg.say(user, code);
      await tg.waitFor(() => tg.sentTo(4242).find((m) => /now paired with Hearth/.test(m.text ?? '')), 'the paired reply');
      const member = (await (await asOwner(`/members/${adultId}`)).json()) as { telegram_user_id: number | null };
      expect(member.telegram_user_id).toBe(4242);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
