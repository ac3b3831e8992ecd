import type { HubContext } from '../../part/context.js';
import type { PartInstance } from '../../part/define.js';
import type { NotificationRouter } from '../../notify/router.js';
import type { UsageLedger } from '../../usage/index.js';
import { TwilioPhone } from './phone.js';
import { TwilioHooks, twilioHookRoutes } from './hooks.js';
import { SmsChannel, VoiceChannel } from './channels.js';

export { twilioTables } from './tables.js';
export { TwilioPhone, type Spend } from './phone.js';
export { TwilioHooks, HOOKS_PREFIX, type HookHandler, type TwilioParams } from './hooks.js';

export interface TwilioPart extends PartInstance {
  phone: TwilioPhone;
  hooks: TwilioHooks;
}

/**
 * Twilio: the phone (the one place calls and SMS go out), the webhooks at
 * <twilio.public_url>/hooks/twilio/..., and `sms` and `voice` as notification channels.
 */
export function createTwilioPart(ctx: HubContext, deps: { router: NotificationRouter; usage?: UsageLedger }): TwilioPart {
  const phone = new TwilioPhone(ctx, deps.usage);
  const hooks = new TwilioHooks(ctx, (query, params) => phone.meter(query, params));
  const voice = new VoiceChannel(phone, deps.router);
  hooks.register('alert', voice.hook);
  deps.router.registerChannel(new SmsChannel(phone));
  deps.router.registerChannel(voice);
  return { name: 'twilio', services: [phone], rootRoutes: twilioHookRoutes(hooks, ctx), phone, hooks };
}
