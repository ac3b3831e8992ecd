import { checkResult, scrub, type SettingsCheck } from '../../config/checks.js';

/** Asks the Bot API who the bot is (`getMe`). */
export const telegramCheck: SettingsCheck = {
  section: 'telegram',
  connection: true,
  async run(settings, timeoutMs) {
    const name = 'telegram';
    const { token, api_root } = settings.telegram;
    if (!token) return checkResult(name, 'skip', 'not configured');
    try {
      const res = await fetch(`${api_root.replace(/\/$/, '')}/bot${token}/getMe`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.json().catch(() => ({}))) as { ok?: boolean; result?: { username?: string }; description?: string };
      if (res.ok && body.ok) return checkResult(name, 'ok', `bot @${body.result?.username ?? '?'} at ${api_root}`);
      if (res.status === 401 || res.status === 404)
        return checkResult(name, 'fail', `${api_root} rejected the bot token (HTTP ${res.status}); check telegram.token`);
      return checkResult(name, 'fail', `${api_root} answered HTTP ${res.status}${body.description ? `: ${body.description}` : ''}`);
    } catch (err) {
      // fetch's errors can carry the URL, and the URL carries the token: never print it.
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? 'request failed');
      return checkResult(name, 'fail', `${api_root} unreachable: ${scrub(why, token)}`);
    }
  },
};
