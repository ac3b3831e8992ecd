import { silentLogger } from '../../core/logger.js';
import { toWebSocketUrl } from './protocol.js';
import { HaAuthInvalidError, openAuthenticatedSocket } from './socket.js';

/**
 * One connection check for `hearth doctor`: connect, authenticate, close. Never retries, never
 * throws, never puts the token in its answer.
 */
export async function checkHomeAssistant(url: string, token: string, timeoutMs: number, caFile?: string): Promise<{ ok: boolean; detail: string }> {
  let wsUrl: string;
  try {
    wsUrl = toWebSocketUrl(url);
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
  try {
    const socket = await openAuthenticatedSocket({ wsUrl, token, timeoutMs, log: silentLogger(), caFile });
    socket.close();
    // A peer that never answers the close handshake must not hold the process.
    setTimeout(() => socket.terminate(), 1000).unref();
    return { ok: true, detail: `connected and authenticated to Home Assistant ${socket.haVersion} at ${wsUrl}` };
  } catch (err) {
    if (err instanceof HaAuthInvalidError) return { ok: false, detail: `Home Assistant rejected the access token (auth_invalid) at ${wsUrl}` };
    return { ok: false, detail: (err as Error).message };
  }
}
