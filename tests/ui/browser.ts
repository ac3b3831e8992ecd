import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO, spawnHub, tempDir, type HubProcess } from '../helpers/hub.js';

/** Debian's Chromium, headless; never a downloaded browser build. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface DemoHub {
  url: string;
  dataDir: string;
  hub: HubProcess;
  setupCode(): string;
  stop(): Promise<void>;
}

/** `hearth start` as a real process with the demo home, on a temp data directory and free ports. */
export async function startDemoHub(): Promise<DemoHub> {
  const dataDir = tempDir('hearth-ui-');
  const hub = await spawnHub([], { env: { HEARTH_HUB_DEMO: 'true', HEARTH_DATA_DIR: dataDir }, timeoutMs: 30_000 });
  return {
    url: hub.url,
    dataDir,
    hub,
    setupCode: () => readFileSync(join(dataDir, 'setup-code'), 'utf8').trim(),
    stop: async () => {
      hub.child.kill('SIGTERM');
      await hub.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const SHOTS = join(REPO, 'test-results/ui');

/** Saves a screenshot under test-results/ui/ (gitignored) for people to look at. */
export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

/** Collects uncaught errors and CSP violations in the page; the test expects none. */
export function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (e) => errors.push(`${e.name}: ${e.message}`));
  // The hub's CSP allows only its own scripts: a violation means something would not load.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
}
