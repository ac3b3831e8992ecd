import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { FakeTelegram } from '../fakes/telegram-bot-api.js';
import { tempDir } from '../helpers/hub.js';
import { addMember, pair, startTgHub, type TgHub } from '../telegram/support.js';

describe('outbox durability', () => {
  let h: TgHub | undefined;
  let tg: FakeTelegram | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await h?.stop();
    await tg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    h = tg = dir = undefined;
  });

  it('survives a restart during an outage; a delivery caught mid-send is sent again once', async () => {
    tg = await new FakeTelegram().start();
    dir = tempDir();
    h = await startTgHub({ tg, dataDir: dir });
    const anna = await addMember(h, 'anna', 'owner');
    await pair(h, anna, tg.user(951, 'Anna'));
    tg.down();
    const ids = ['one', 'two', 'three'].map(
      (text) => h!.router.notify({ kind: 'brief.test', text: `before restart: ${text}`, audience: { members: [anna.id] } }).id,
    );
    await tg.waitFor(() => ids.every((id) => h!.router.get(id)!.deliveries[0]!.attempts >= 1) || undefined, 'failed attempts');
    await h.t.hub.stop();
    // As if the hub had died between handing a message to Telegram and recording it.
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(`${dir}/hearth.db`);
    db.prepare("UPDATE deliveries SET status = 'sending' WHERE notification_id = ?").run(ids[0]);
    db.close();
    tg.up();
    h = await startTgHub({ tg, dataDir: dir });
    await tg.waitFor(() => ids.every((id) => h!.router.get(id)!.deliveries[0]!.status === 'delivered') || undefined, 'all delivered after restart');
    for (const text of ['one', 'two', 'three']) expect(tg.sentTo(951).filter((m) => m.text === `before restart: ${text}`)).toHaveLength(1);
    expect(h.t.logs.raw.some((l) => l.includes('interrupted while sending'))).toBe(true);
  });
});
