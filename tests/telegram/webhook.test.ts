import { afterEach, describe, expect, it } from 'vitest';
import { addMember, startTgHub, waitMessage, type TgHub } from './support.js';

const SECRET = 'test-webhook-secret-0123456789';

describe('Telegram webhook mode and shutdown', () => {
  let h: TgHub | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('registers the webhook and accepts updates only with the secret path and header', async () => {
    h = await startTgHub({ settings: { telegram: { mode: 'webhook', webhook_url: 'https://relay.example/hub', webhook_secret: SECRET } } });
    await h.tg.waitFor(() => h!.tg.webhook, 'setWebhook');
    expect(h.tg.webhook).toEqual({ url: `https://relay.example/hub/api/v1/telegram/webhook/${SECRET}`, secret_token: SECRET });
    const anna = await addMember(h, 'anna', 'adult');
    const { code } = h.members.createPairingCode(anna.id, { id: 'system', origin: 'cli' });
    const update = {
      update_id: 1,
      message: { message_id: 1, from: { id: 961, is_bot: false, first_name: 'Anna' }, chat: { id: 961, type: 'private' }, date: 1, text: `/start ${code}` },
    };
    const post = (path: string, header?: string, body: unknown = update) =>
      fetch(`${h!.t.url}/api/v1/telegram/webhook/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(header ? { 'x-telegram-bot-api-secret-token': header } : {}) },
        body: JSON.stringify(body),
      });
    expect((await post(SECRET)).status).toBe(404); // no header
    expect((await post('wrong-secret-wrong-secret', SECRET)).status).toBe(404);
    expect((await post(SECRET, 'wrong')).status).toBe(404);
    expect(h.members.get(anna.id)!.telegram_user_id).toBeNull();
    expect((await post(SECRET, SECRET, { nonsense: true })).status).toBe(200); // acknowledged, ignored
    expect((await post(SECRET, SECRET)).status).toBe(200);
    await waitMessage(h.tg, 961, /Hello Anna/);
    expect(h.members.get(anna.id)!.telegram_user_id).toBe(961);
    expect(h.tg.callsOf('getUpdates')).toHaveLength(0);
  });

  it('stops long polling promptly even with a long poll timeout', async () => {
    h = await startTgHub({ settings: { telegram: { poll_timeout_s: 50 } } });
    await h.tg.waitFor(() => h!.tg.callsOf('getUpdates').length > 0 || undefined, 'polling');
    await h.t.hub.stop();
    // The open 50 s poll was cut by the client, not waited out, and no stop step timed out.
    expect(h.tg.abortedPolls).toBeGreaterThanOrEqual(1);
    expect(h.t.logs.raw.filter((l) => l.includes('service stop failed'))).toEqual([]);
  });
});
