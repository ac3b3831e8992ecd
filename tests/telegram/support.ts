import { FakeTelegram, type TgMessage, type TgUser } from '../fakes/telegram-bot-api.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import type { HubOptions } from '../../src/hub/hub.js';
import type { MembersService } from '../../src/members/service.js';
import type { Member } from '../../src/members/model.js';
import type { NotificationRouter } from '../../src/notify/router.js';
import type { EntityRegistry } from '../../src/devices/registry.js';

export interface TgHub {
  t: TestHub;
  tg: FakeTelegram;
  members: MembersService;
  router: NotificationRouter;
  stop(): Promise<void>;
}

const SYSTEM = { id: 'system', origin: 'cli' as const };

/** A real hub whose Telegram bot talks to a fake Bot API on loopback, with fast router timers. */
export async function startTgHub(
  options: { settings?: Record<string, unknown>; demo?: boolean; tg?: FakeTelegram; dataDir?: string } & Omit<HubOptions, 'flags'> = {},
): Promise<TgHub> {
  const tg = options.tg ?? (await new FakeTelegram().start());
  const settings = deepMerge(
    {
      hub: { demo: options.demo ?? false },
      telegram: { token: tg.token, api_root: tg.apiRoot, poll_timeout_s: 1 },
      notify: { tick_ms: 20, retry_base_ms: 50, retry_max_ms: 400 },
    },
    options.settings ?? {},
  );
  const t = await startTestHub({ ...options, settings });
  const members = t.hub.services.get<{ name: string; members: MembersService; start(): void; stop(): void }>('members')!.members;
  const router = t.hub.services.get<NotificationRouter>('notify')!;
  return {
    t,
    tg,
    members,
    router,
    stop: async () => {
      await t.stop();
      if (!options.tg) await tg.stop();
    },
  };
}

export function registryOf(t: TestHub): EntityRegistry {
  // The alerts service holds the hub's registry (the devices part has no service that exposes it).
  const svc = t.hub.services.get<{ name: string; entities?: EntityRegistry; start(): void; stop(): void }>('notify-alerts');
  if (svc?.entities) return svc.entities;
  throw new Error('no registry reachable');
}

export async function addMember(h: TgHub, username: string, role: Member['role'], pin?: string): Promise<Member> {
  return h.members.create({ username, display_name: username.charAt(0).toUpperCase() + username.slice(1), role, ...(pin ? { pin } : {}) } as never, SYSTEM);
}

/** Pairs a member through the real flow: a code from the members part, `/start <code>` in the chat. */
export async function pair(h: TgHub, member: Member, user: TgUser): Promise<Member> {
  const { code } = h.members.createPairingCode(member.id, SYSTEM);
  const before = h.tg.sentTo(user.id).length;
  h.tg.say(user, `/start ${code}`);
  await h.tg.waitFor(() => h.tg.sentTo(user.id).length > before && h.members.get(member.id)?.telegram_user_id === user.id, `pairing of ${member.username}`);
  return h.members.get(member.id)!;
}

/** The newest message to a chat that matches. */
export function lastTo(tg: FakeTelegram, chat: number, match: RegExp = /./): TgMessage | undefined {
  return tg
    .sentTo(chat)
    .filter((m) => match.test(m.text ?? ''))
    .at(-1);
}

export async function waitMessage(tg: FakeTelegram, chat: number, match: RegExp, what = String(match)): Promise<TgMessage> {
  return tg.waitFor(() => lastTo(tg, chat, match), what);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
