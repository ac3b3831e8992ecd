import { z } from 'zod';

export const telegramSection = z
  .strictObject({
    token: z.string().min(1).optional().describe('Bot token from @BotFather.').meta({ secret: true }),
    api_root: z.string().url().default('https://api.telegram.org').describe('Bot API server; point it at another server for a local Bot API or tests.'),
  })
  .describe('The Telegram bot for the family (off unless token is set).');
