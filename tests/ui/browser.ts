import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO, spawnHub, tempDir, type HubProcess } from '../helpers/hub.js';

/** Debian's Chromium, headless; never a downloaded browser build. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
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

/**
 * The set-up of every Chromium test file: Debian's Chromium and a demo hub (both started in
 * beforeAll, in parallel; both stopped in afterAll). Read `browser` and `hub` inside the tests.
 */
export function useBrowserHub(start: () => Promise<DemoHub> = startDemoHub): { readonly browser: Browser; readonly hub: DemoHub } {
  const state: { browser?: Browser; hub?: DemoHub } = {};
  beforeAll(async () => {
    [state.browser, state.hub] = await Promise.all([launchChromium(), start()]);
  }, 120_000);
  afterAll(async () => {
    await state.browser?.close();
    await state.hub?.stop();
  });
  return {
    get browser() {
      if (!state.browser) throw new Error('Chromium is not started (useBrowserHub runs in beforeAll)');
      return state.browser;
    },
    get hub() {
      if (!state.hub) throw new Error('the hub is not started (useBrowserHub runs in beforeAll)');
      return state.hub;
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

/** Fetch on the hub's API as the signed-in owner (with the session cookie). */
export type AsOwner = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * The owner, made through the setup route; the session cookie lands in `ctx`, so pages opened
 * from it are signed in. Returns the cookie and a fetch that sends it.
 */
export async function setupOwner(
  ctx: BrowserContext,
  hub: DemoHub,
  owner: { name: string; username: string; password: string; pin: string },
): Promise<{ cookie: string; asOwner: AsOwner }> {
  const setup = await ctx.request.post(`${hub.url}/api/v1/setup`, {
    data: { setup_code: hub.setupCode(), username: owner.username, password: owner.password, display_name: owner.name, pin: owner.pin },
  });
  if (setup.status() !== 201) throw new Error(`POST /setup answered ${setup.status()}: ${await setup.text()}`);
  const cookie = (await ctx.cookies()).find((c) => c.name === 'hearth_session')?.value;
  if (!cookie) throw new Error('POST /setup set no session cookie');
  const asOwner: AsOwner = (path, init = {}) =>
    fetch(`${hub.url}/api/v1${path}`, { ...init, headers: { cookie: `hearth_session=${cookie}`, ...init.headers } });
  return { cookie, asOwner };
}
