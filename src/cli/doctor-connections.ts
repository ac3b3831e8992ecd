import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync, openSync, readSync, closeSync } from 'node:fs';
import type { Settings } from '../config/schema.js';
import { errorMessage } from '../core/errors.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';
export interface DoctorResult {
  check: string;
  status: CheckStatus;
  detail: string;
}

const result = (check: string, status: CheckStatus, detail: string): DoctorResult => ({ check, status, detail });

/** The outside services the settings name; each check is skipped when its section is not configured. */
export async function connectionChecks(settings: Settings, timeoutMs: number): Promise<DoctorResult[]> {
  return [
    await homeAssistant(settings, timeoutMs),
    await telegram(settings, timeoutMs),
    await twilio(settings),
    await link(settings, timeoutMs),
    llmModel(settings),
  ];
}

async function homeAssistant(settings: Settings, timeoutMs: number): Promise<DoctorResult> {
  const name = 'homeassistant';
  const { url, token, ca } = settings.homeassistant;
  if (!url && !token) return result(name, 'skip', 'not configured');
  if (!url || !token) return result(name, 'fail', `homeassistant.${url ? 'token' : 'url'} is missing; the bridge needs both`);
  // The bridge's own check speaks HA's real protocol: it authenticates, so a bad token shows here.
  const { checkHomeAssistant } = await import('../devices/homeassistant/check.js');
  try {
    const out = await checkHomeAssistant(url, token, timeoutMs, ca);
    return result(name, out.ok ? 'ok' : 'fail', scrub(out.detail, token));
  } catch (err) {
    return result(name, 'fail', `${url}: ${scrub(errorMessage(err), token)}`);
  }
}

async function telegram(settings: Settings, timeoutMs: number): Promise<DoctorResult> {
  const name = 'telegram';
  const { token, api_root } = settings.telegram;
  if (!token) return result(name, 'skip', 'not configured');
  try {
    const res = await fetch(`${api_root.replace(/\/$/, '')}/bot${token}/getMe`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => ({}))) as { ok?: boolean; result?: { username?: string }; description?: string };
    if (res.ok && body.ok) return result(name, 'ok', `bot @${body.result?.username ?? '?'} at ${api_root}`);
    if (res.status === 401 || res.status === 404) return result(name, 'fail', `${api_root} rejected the bot token (HTTP ${res.status}); check telegram.token`);
    return result(name, 'fail', `${api_root} answered HTTP ${res.status}${body.description ? `: ${body.description}` : ''}`);
  } catch (err) {
    // fetch's errors can carry the URL, and the URL carries the token: never print it.
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? 'request failed');
    return result(name, 'fail', `${api_root} unreachable: ${scrub(why, token)}`);
  }
}

/** The credentials are shaped as Twilio issues them, then Twilio is asked for the account (through twilio.api_root). */
async function twilio(settings: Settings): Promise<DoctorResult> {
  const name = 'twilio';
  const { account_sid, auth_token, from } = settings.twilio;
  if (!account_sid && !auth_token && !from) return result(name, 'skip', 'not configured');
  const missing = (['account_sid', 'auth_token', 'from'] as const).filter((k) => !settings.twilio[k]);
  if (missing.length) return result(name, 'fail', `${missing.map((k) => `twilio.${k}`).join(', ')} missing`);
  if (!/^AC[0-9a-f]{32}$/i.test(account_sid!)) return result(name, 'fail', 'twilio.account_sid should be AC followed by 32 hex digits');
  if (!/^\+[1-9]\d{6,14}$/.test(from!)) return result(name, 'fail', `twilio.from "${from}" is not an E.164 number such as +15551234567`);
  const { checkTwilioAccount } = await import('../channels/twilio/phone.js');
  const answer = await checkTwilioAccount(settings.twilio);
  if (!answer.ok) return result(name, 'fail', answer.detail);
  if (!settings.twilio.public_url) return result(name, 'warn', `${answer.detail}, but twilio.public_url is not set: Twilio cannot reach the hub's webhooks`);
  return result(name, 'ok', answer.detail);
}

async function link(settings: Settings, timeoutMs: number): Promise<DoctorResult> {
  const name = 'link';
  const { url, ca, hub_id, cert, key } = settings.link;
  if (!url) return result(name, 'skip', 'not configured');
  if (!hub_id) return result(name, 'fail', 'link.hub_id is missing');
  const u = new URL(url);
  const secure = ['mqtts:', 'ssl:', 'tls:', 'wss:'].includes(u.protocol);
  const port = Number(u.port || (u.protocol === 'wss:' ? 443 : secure ? 8883 : 1883));
  if (!secure) return result(name, 'fail', `${url} is not TLS; the link needs mqtts://`);
  let caPem: Buffer | undefined;
  try {
    caPem = ca ? readFileSync(ca) : undefined;
    if (cert) readFileSync(cert);
    if (key) readFileSync(key);
  } catch (err) {
    return result(name, 'fail', `cannot read ${(err as NodeJS.ErrnoException).path ?? 'a link file'}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
  try {
    const peer = await tlsProbe(u.hostname, port, caPem, timeoutMs);
    const daysLeft = Math.floor((Date.parse(peer.valid_to) - Date.now()) / 86_400_000);
    const detail = `${u.hostname}:${port} TLS verified${ca ? ` against ${ca}` : ''}; certificate ${peer.subject} valid ${daysLeft} more days`;
    return result(name, daysLeft < 14 ? 'warn' : 'ok', detail);
  } catch (err) {
    return result(name, 'fail', `${u.hostname}:${port}: ${errorMessage(err)}`);
  }
}

function llmModel(settings: Settings): DoctorResult {
  const name = 'llm';
  const path = settings.llm.model_path;
  if (!path) return result(name, 'skip', 'no local model configured');
  try {
    const fd = openSync(path, 'r');
    const magic = Buffer.alloc(4);
    readSync(fd, magic, 0, 4, 0);
    closeSync(fd);
    if (magic.toString('latin1') !== 'GGUF') return result(name, 'fail', `${path} is not a GGUF model file`);
    return result(name, 'ok', `${path} is a GGUF file`);
  } catch (err) {
    return result(name, 'fail', `${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
}

export function tcpReach(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
  });
}

function tlsProbe(host: string, port: number, ca: Buffer | undefined, timeoutMs: number): Promise<{ subject: string; valid_to: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, servername: host, ...(ca ? { ca } : {}) });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      const cn = cert.subject?.CN;
      resolve({ subject: (Array.isArray(cn) ? cn[0] : cn) ?? 'unnamed', valid_to: cert.valid_to });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ? `${err.code}: ${err.message}` : err.message)));
  });
}

const scrub = (text: string, secret: string): string => text.split(secret).join('[redacted]');
