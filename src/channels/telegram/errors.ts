import type { GrammyError } from 'grammy';
import { ChannelError } from '../../notify/model.js';
import { defineErrors } from '../../core/errors.js';

// Recognised by shape, not instanceof, so that grammY is loaded only when a bot token is set.
const isGrammyError = (err: unknown): err is GrammyError =>
  err instanceof Error && err.name === 'GrammyError' && typeof (err as GrammyError).error_code === 'number';
const isHttpError = (err: unknown): err is Error & { error?: unknown } => err instanceof Error && err.name === 'HttpError';

/** grammY's errors may carry the request URL, which contains the bot token: never log it. */
export function redact(text: string, token?: string): string {
  let out = text.replace(/bot\d+:[A-Za-z0-9_-]+/g, 'bot[redacted]');
  if (token) out = out.split(token).join('[redacted]');
  return out;
}

export function describe(err: unknown, token?: string): string {
  if (isGrammyError(err)) return redact(`${err.method}: ${err.error_code} ${err.description}`, token);
  if (isHttpError(err)) return redact(`network: ${err.message} ${(err.error as Error | undefined)?.message ?? ''}`.trim(), token);
  return redact(err instanceof Error ? err.message : String(err), token);
}

/**
 * What the outbox should do about a failed call: 429 → wait retry_after; 5xx and network
 * errors → retry with back-off; 4xx (chat not found, bot blocked) → give up on this delivery.
 */
export function toChannelError(err: unknown, token?: string): ChannelError {
  const message = describe(err, token);
  if (isGrammyError(err)) {
    if (err.error_code === 429) {
      const after = err.parameters?.retry_after;
      return new ChannelError(message, { retryable: true, retryAfterMs: typeof after === 'number' ? after * 1000 : undefined });
    }
    if (err.error_code >= 500) return new ChannelError(message, { retryable: true });
    return new ChannelError(message, { retryable: false });
  }
  return new ChannelError(message, { retryable: true });
}

/** The channels/telegram part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const telegramErrors = defineErrors({
  NOT_FOUND: 404,
});
