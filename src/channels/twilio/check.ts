import { checkResult, type SettingsCheck } from '../../config/checks.js';

/** The credentials are shaped as Twilio issues them, then Twilio is asked for the account (through twilio.api_root). */
export const twilioCheck: SettingsCheck = {
  section: 'twilio',
  connection: true,
  async run(settings) {
    const name = 'twilio';
    const { account_sid, auth_token, from } = settings.twilio;
    if (!account_sid && !auth_token && !from) return checkResult(name, 'skip', 'not configured');
    const missing = (['account_sid', 'auth_token', 'from'] as const).filter((k) => !settings.twilio[k]);
    if (missing.length) return checkResult(name, 'fail', `${missing.map((k) => `twilio.${k}`).join(', ')} missing`);
    if (!/^AC[0-9a-f]{32}$/i.test(account_sid!)) return checkResult(name, 'fail', 'twilio.account_sid should be AC followed by 32 hex digits');
    if (!/^\+[1-9]\d{6,14}$/.test(from!)) return checkResult(name, 'fail', `twilio.from "${from}" is not an E.164 number such as +15551234567`);
    const { checkTwilioAccount } = await import('./phone.js'); // the twilio library, only when asked
    const answer = await checkTwilioAccount(settings.twilio);
    if (!answer.ok) return checkResult(name, 'fail', answer.detail);
    if (!settings.twilio.public_url)
      return checkResult(name, 'warn', `${answer.detail}, but twilio.public_url is not set: Twilio cannot reach the hub's webhooks`);
    return checkResult(name, 'ok', answer.detail);
  },
};
