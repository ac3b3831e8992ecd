import { z } from 'zod';

export const telegramSection = z
  .strictObject({
    token: z.string().min(1).optional().describe('Bot token from @BotFather.').meta({ secret: true }),
    api_root: z.string().url().default('https://api.telegram.org').describe('Bot API server; point it at another server for a local Bot API or tests.'),
    mode: z.enum(['polling', 'webhook']).default('polling').describe('`polling` works behind a home router; `webhook` needs a relay or public URL.'),
    webhook_url: z
      .string()
      .url()
      .optional()
      .describe('Public base URL that reaches this hub (webhook mode); the hub registers <url>/api/v1/telegram/webhook/<secret>.'),
    webhook_secret: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, '16 to 256 letters, digits, _ or -')
      .optional()
      .describe('Secret path part and X-Telegram-Bot-Api-Secret-Token; generated and kept in the database when unset.')
      .meta({ secret: true }),
    poll_timeout_s: z.number().int().min(0).max(50).default(25).describe('Long-poll timeout of getUpdates.'),
    max_text_length: z.number().int().min(16).max(4096).default(1000).describe('Longer incoming texts are refused unread.'),
    messages_per_minute: z
      .number()
      .min(1)
      .max(600)
      .default(20)
      .describe('Messages one chat may send per minute before the bot stops answering it for a while.'),
  })
  .describe('The Telegram bot for the family (off unless token is set).');
