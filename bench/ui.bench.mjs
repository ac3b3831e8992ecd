// The web UI's weight and speed:
//   1. the built JavaScript and CSS, gzipped with zlib (what a phone downloads), next to the
//      150 KB target for the JavaScript;
//   2. time from navigation to a usable Home page (signed in, the demo home's entities drawn)
//      in Debian's Chromium against a real hub process, median of several cold loads.
// Run after `npm run build`: node bench/ui.bench.mjs  (prints one JSON object)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.UI_BENCH_RUNS ?? 9);
const TARGET_JS_KB = 150;

const kb = (n) => Math.round((n / 1024) * 10) / 10;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function bundleSizes() {
  const dir = join(REPO, 'ui/dist/assets');
  const files = readdirSync(dir);
  const sum = (ext) =>
    files
      .filter((f) => f.endsWith(ext))
      .reduce(
        (acc, f) => {
          const raw = readFileSync(join(dir, f));
          return { raw: acc.raw + raw.length, gz: acc.gz + gzipSync(raw, { level: 9 }).length };
        },
        { raw: 0, gz: 0 },
      );
  return { js: sum('.js'), css: sum('.css') };
}

function startHub(dataDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/hearth.js'), 'start'], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HEARTH_DATA_DIR: dataDir,
        HEARTH_HUB_DEMO: 'true',
        HEARTH_HTTP_HOST: '127.0.0.1',
        HEARTH_HTTP_PORT: '0',
        HEARTH_MQTT_HOST: '127.0.0.1',
        HEARTH_MQTT_PORT: '0',
        HEARTH_HUB_LOG_FORMAT: 'json',
        HEARTH_HUB_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`hub not ready:\n${out}`)), 30_000);
    const onData = (d) => {
      out += d;
      const m = /"url":"(http[^"]+)"[^\n]*"msg":"hearth is ready"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`hub exited ${code}:\n${out}`)));
  });
}

async function json(url, init) {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) } });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res;
}

const sizes = bundleSizes();
const dataDir = mkdtempSync(join(tmpdir(), 'hearth-ui-bench-'));
const { child, url } = await startHub(dataDir);
let browser;
try {
  // An owner, signed in through the API; the browser gets the session cookie.
  const code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
  const owner = { username: 'bench', password: 'bench password 1' };
  await json(`${url}/api/v1/setup`, { method: 'POST', body: JSON.stringify({ setup_code: code, ...owner, display_name: 'Bench', pin: '2468' }) });
  const login = await json(`${url}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify(owner) });
  const session = /hearth_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
  if (!session) throw new Error('no session cookie from login');
  for (let i = 0; i < 100; i++) {
    const r = await (await json(`${url}/api/v1/entities`, { headers: { cookie: `hearth_session=${session}` } })).json();
    if ((r.entities ?? r).length >= 8) break;
    await new Promise((res) => setTimeout(res, 100));
  }

  browser = await chromium.launch({
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
  const { hostname } = new URL(url);
  const cold = [];
  const warm = [];
  for (let i = 0; i < RUNS + 1; i++) {
    // A fresh context each time: empty cache, as on a first visit.
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await ctx.addCookies([{ name: 'hearth_session', value: session, domain: hostname, path: '/' }]);
    const page = await ctx.newPage();
    await page.goto(url);
    await page.locator('[data-entity="lock.demo_front_door"] button').waitFor({ timeout: 30_000 });
    // performance.now() counts from the start of the navigation.
    const ms = await page.evaluate(() => performance.now());
    if (i > 0) cold.push(ms); // the first load warms the hub's own caches
    await page.reload();
    await page.locator('[data-entity="lock.demo_front_door"] button').waitFor({ timeout: 30_000 });
    if (i > 0) warm.push(await page.evaluate(() => performance.now()));
    await ctx.close();
  }
  const r1 = (x) => Math.round(x * 10) / 10;
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB RAM; Chromium ${browser.version()}; Node ${process.version}`;
  console.log(
    JSON.stringify(
      {
        name: 'ui',
        results: [
          {
            metric: 'JavaScript, gzipped (zlib 9)',
            value: kb(sizes.js.gz),
            unit: 'KB',
            baseline: { label: 'target (upper bound)', value: TARGET_JS_KB },
            note: `${kb(sizes.js.raw)} KB before gzip`,
          },
          { metric: 'CSS, gzipped (zlib 9)', value: kb(sizes.css.gz), unit: 'KB', note: `${kb(sizes.css.raw)} KB before gzip` },
          {
            metric: 'navigation to usable Home, cold (median)',
            value: r1(median(cold)),
            unit: 'ms',
            note: `navigation → entities drawn with controls, signed in, empty cache; median of ${cold.length}; min ${r1(Math.min(...cold))}, max ${r1(Math.max(...cold))}; ${machine}`,
          },
          {
            metric: 'navigation to usable Home, warm (median)',
            value: r1(median(warm)),
            unit: 'ms',
            note: `the same after a reload (assets cached); median of ${warm.length}`,
          },
        ],
      },
      null,
      2,
    ),
  );
} finally {
  await browser?.close();
  child.kill('SIGTERM');
  await new Promise((res) => child.once('exit', res));
  rmSync(dataDir, { recursive: true, force: true });
}
