import { errorMessage } from '../../core/errors.js';
import { checkResult, scrub, type SettingsCheck } from '../../config/checks.js';

/** Speaks HA's real protocol (it authenticates, so a bad token shows); loaded only when run. */
export const homeassistantCheck: SettingsCheck = {
  section: 'homeassistant',
  connection: true,
  async run(settings, timeoutMs) {
    const name = 'homeassistant';
    const { url, token, ca } = settings.homeassistant;
    if (!url && !token) return checkResult(name, 'skip', 'not configured');
    if (!url || !token) return checkResult(name, 'fail', `homeassistant.${url ? 'token' : 'url'} is missing; the bridge needs both`);
    const { checkHomeAssistant } = await import('./check.js');
    try {
      const out = await checkHomeAssistant(url, token, timeoutMs, ca);
      return checkResult(name, out.ok ? 'ok' : 'fail', scrub(out.detail, token));
    } catch (err) {
      return checkResult(name, 'fail', `${url}: ${scrub(errorMessage(err), token)}`);
    }
  },
};
