import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { twilioLoaded } from '../../src/channels/twilio/lib.js';
import { startTestHub } from '../helpers/hub.js';
import { MARY, callNow, createCheckin, startPhoneHub } from './support.js';

/**
 * The twilio library (~760 files, ~30 MB once loaded; 7 MB of bundled JavaScript compiled at
 * every start before) is loaded on first use: a hub without telephony never loads it, and one
 * with telephony loads it when it first places a call or answers a webhook.
 */
describe('the twilio library is loaded only when telephony is used', () => {
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
