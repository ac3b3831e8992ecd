import { z } from 'zod';

/**
 * The parts of Telegram's Update this bot reads, validated: grammY's types describe what
 * Telegram promises, not what arrives. Unknown fields pass (Telegram adds fields often);
 * a missing or wrong-typed field we rely on makes the update "unexpected" and it is dropped.
 */
export const tgUserSchema = z.looseObject({
  id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  is_bot: z.boolean(),
  first_name: z.string().max(256),
  username: z.string().max(64).optional(),
});

export const tgChatSchema = z.looseObject({ id: z.number().int(), type: z.enum(['private', 'group', 'supergroup', 'channel']) });

export const tgMessageSchema = z.looseObject({
  message_id: z.number().int().positive(),
  from: tgUserSchema.optional(),
  chat: tgChatSchema,
  date: z.number().int(),
  text: z.string().optional(),
});
export type TgMessage = z.infer<typeof tgMessageSchema>;

export const tgCallbackSchema = z.looseObject({
  id: z.string().min(1).max(128),
  from: tgUserSchema,
  message: z.looseObject({ message_id: z.number().int(), chat: tgChatSchema }).optional(),
  data: z.string().max(64).optional(),
});
export type TgCallback = z.infer<typeof tgCallbackSchema>;

export const tgUpdateSchema = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: tgMessageSchema.optional(),
  edited_message: z.unknown().optional(),
  callback_query: tgCallbackSchema.optional(),
});
export type TgUpdate = z.infer<typeof tgUpdateSchema>;

/** The update kinds the bot asks for; anything else never arrives. */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;
