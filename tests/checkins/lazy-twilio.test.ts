import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.js';
import { twilioLoaded } from '../../src/channels/twilio/lib.js';
import { REPO, spawnHub, startTestHub } from '../helpers/hub.js';
import { MARY, callNow, createCheckin, startPhoneHub } from './support.js';

/**
 * The twilio library (~760 files, ~30 MB once loaded; 7 MB of bundled JavaScript compiled at
 * every start before) is loaded on first use: a hub without telephony never loads it, and one
 * with telephony loads it when it first places a call or answers a webhook.
 */
describe('the twilio library is loaded only when telephony is used', () => {
  it('the built hub (bin/hearth.js), with the demo home and Twilio set up, starts and serves without loading it', async () => {
    // Bundled, twilio would be compiled at every start: the bundle must not carry it.
    const bundle = join(REPO, 'dist', 'bundle');
    const carrying = readdirSync(bundle).filter((f) => readFileSync(join(bundle, f), 'utf8').includes('node_modules/twilio/'));
    expect(carrying).toEqual([]);
    // Outside the bundle, whatever loads it goes through Node's module cache: a preload lists
    // what of twilio is in it when the hub exits.
    const dir = mkdtempSync(join(tmpdir(), 'hearth-lazy-twilio-'));
    const probe = join(dir, 'probe.cjs');
    const seen = join(dir, 'seen.json');
    writeFileSync(
      probe,
      `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(Object.keys(require.cache).filter((p) => p.includes('/node_modules/twilio/')))));\n`,
    );
    try {
      const hub = await spawnHub(['--data', join(dir, 'data')], {
        env: {
          NODE_OPTIONS: `--require ${probe}`,
          HEARTH_HUB_DEMO: 'true',
          HEARTH_TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
          HEARTH_TWILIO_AUTH_TOKEN: 'a'.repeat(32),
          HEARTH_TWILIO_FROM: '+15551234567',
        },
      });
      expect((await fetch(`${hub.url}/api/v1/health`)).status).toBe(200);
      hub.child.kill('SIGTERM');
      expect(await hub.exited).toBe(0);
      expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a hub starts, with the demo home and with Twilio set up, without it; the first call loads it and works', async () => {
    const plain = await startTestHub({ settings: { hub: { demo: true } } });
    const health = await fetch(`${plain.url}/api/v1/health`);
    expect(health.status).toBe(200);
    await plain.stop();
    expect(twilioLoaded()).toBe(false);

    const p = await startPhoneHub(new ManualClock(Date.UTC(2026, 0, 15, 9, 0, 0)));
    try {
      const c = await createCheckin(p);
      expect(twilioLoaded()).toBe(false); // set up, not used yet
      await callNow(p, c.id);
      const call = await p.tw.callTo(MARY);
      expect(twilioLoaded()).toBe(true);
      expect(await p.tw.answer(call)).toMatch(/<Gather[^>]*input="speech dtmf"/);
    } finally {
      await p.stop();
    }
  });
});
