import type { HubContext } from '../../part/context.js';
import type { PartInstance } from '../../part/define.js';
import { TelegramService } from './service.js';
import { telegramWebhookRoutes } from './webhook.js';
import type { TelegramDeps } from './service.js';

export { telegramTables } from './tables.js';
export { TelegramService } from './service.js';
export type { TelegramDeps } from './service.js';

export interface TelegramPart extends PartInstance {
  telegram: TelegramService;
}

/** The Telegram channel: off unless telegram.token is set (the service then reports `disabled`). */
export function createTelegramPart(ctx: HubContext, deps: TelegramDeps): TelegramPart {
  const telegram = new TelegramService(ctx, deps);
  return { name: 'telegram', services: [telegram], routes: telegramWebhookRoutes(telegram), telegram };
}
