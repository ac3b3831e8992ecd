import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, startDemoHub, type DemoHub } from './browser.js';
import { familyFlow } from './family-flow.js';

// One Chromium for the whole file (two cores shared by everyone); one fresh hub per run.
describe('web UI, end to end in Chromium against a real hub with the demo home', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const [tag, options] of [
    ['desktop', { viewport: { width: 1280, height: 860 } }],
    // The phone run also reads in dark mode.
    ['phone', { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: 'dark' }],
  ] as const) {
    it(`${tag}: first run, an adult asks to unlock the front door, the owner approves with the PIN, the door opens`, { timeout: 240_000 }, async () => {
      const hub: DemoHub = await startDemoHub();
      try {
        await familyFlow(browser, hub, tag, options);
      } finally {
        await hub.stop();
      }
    });
  }
});
