import WebSocket from 'ws';
import type { HaWebSocket } from 'home-assistant-js-websocket';
import type { Logger } from '../../core/logger.js';
import { errorMessage } from '../../core/errors.js';
import { atLeastVersion, authInvalidSchema, authOkSchema, frameSchema, framesSchema } from './protocol.js';
import { certificateProblem, haTlsOptions, type HaTlsFailure } from './tls.js';

/** Home Assistant said no to the token: retrying soon will not help. */
export class HaAuthInvalidError extends Error {
  constructor(readonly haMessage?: string) {
    super('Home Assistant rejected the access token (auth_invalid)');
    this.name = 'HaAuthInvalidError';
  }
}

/** The socket could not be opened or closed before authentication finished. */
export class HaCannotConnectError extends Error {
  constructor(
    message: string,
    /** Stable: what kind of failure, for callers that react to one kind (tests, the UI). */
    readonly code: 'HA_CANNOT_CONNECT' | 'HA_CA_UNREADABLE' | HaTlsFailure = 'HA_CANNOT_CONNECT',
  ) {
    super(message);
    this.name = 'HaCannotConnectError';
  }
}

export interface OpenOptions {
  wsUrl: string;
  token: string;
  timeoutMs: number;
  log: Logger;
  signal?: AbortSignal;
  /** homeassistant.ca: PEM file of the CA(s) to trust instead of the system CAs (wss only). */
  caFile?: string;
}

type Listener = (event: { data?: string }) => void;

/**
 * The socket handed to home-assistant-js-websocket's Connection. It carries a `ws` socket and
 * offers the small part of the browser WebSocket interface the library uses (add/remove
 * listener for message and close, send, close, readyState, OPEN, haVersion). Frames are
 * checked before the library sees them, because its parser throws on bad JSON and a throw in
 * a `ws` listener would take the process down.
 */
export class HaSocket {
  readonly OPEN = WebSocket.OPEN;
  private readonly listeners = { message: new Set<Listener>(), close: new Set<Listener>() };
  private closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly haVersion: string,
    private readonly log: Logger,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', (code) => {
      if (this.closed) return;
      this.closed = true;
      this.log.debug({ code }, 'home assistant socket closed');
      this.dispatch('close', {});
    });
    ws.on('error', (err) => this.log.debug({ err: errorMessage(err) }, 'home assistant socket error'));
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  addEventListener(type: string, listener: Listener): void {
    if (type === 'message' || type === 'close') this.listeners[type].add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    if (type === 'message' || type === 'close') this.listeners[type].delete(listener);
  }

  send(data: string): void {
    this.ws.send(data);
  }

  close(): void {
    this.ws.close();
  }

  /** Drops the connection at once (a dead peer never answers a close handshake). */
  terminate(): void {
    this.ws.terminate();
  }

  /** As the library's type expects it. */
  asHaWebSocket(): HaWebSocket {
    return this as unknown as HaWebSocket;
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) {
      this.log.warn('ignored a binary frame from Home Assistant');
      return;
    }
    const text = rawToString(data);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Frames may carry attribute credentials: their size is logged, never their content.
      this.log.warn({ bytes: text.length }, 'ignored a frame from Home Assistant that is not JSON');
      return;
    }
    if (!framesSchema.safeParse(parsed).success) {
      this.log.warn({ bytes: text.length }, 'ignored a frame from Home Assistant without a type');
      return;
    }
    this.dispatch('message', { data: text });
  }

  private dispatch(type: 'message' | 'close', event: { data?: string }): void {
    for (const listener of [...this.listeners[type]]) {
      try {
        listener(event);
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'home assistant frame handler failed; frame ignored');
      }
    }
  }
}

/**
 * Opens a socket and walks HA's authentication phase: `auth_required` → `auth` → `auth_ok`
 * (or `auth_invalid`). Rejects with HaAuthInvalidError or HaCannotConnectError; never retries
 * (the adapter owns the back-off). TLS certificates are always verified (see tls.ts); a
 * certificate error rejects with a sentence saying what to set, and the token is never sent.
 */
export function openAuthenticatedSocket(options: OpenOptions): Promise<HaSocket> {
  const { wsUrl, token, timeoutMs, log, signal, caFile } = options;
  return new Promise<HaSocket>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new HaCannotConnectError('connection attempt cancelled'));
      return;
    }
    let tls: ReturnType<typeof haTlsOptions>;
    try {
      tls = haTlsOptions(wsUrl, caFile);
    } catch (err) {
      // The file was checked at load; it may have gone since. A failed try like any other.
      reject(new HaCannotConnectError(`${wsUrl}: homeassistant.ca: ${errorMessage(err)}`, 'HA_CA_UNREADABLE'));
      return;
    }
    const ws = new WebSocket(wsUrl, { handshakeTimeout: timeoutMs, perMessageDeflate: false, followRedirects: false, ...tls });
    let settled = false;
    let lastError: string | undefined;
    let certificate: ReturnType<typeof certificateProblem>;
    const finish = (err: Error | undefined, socket?: HaSocket): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ws.off('message', onMessage);
      if (err) {
        ws.off('close', onClose);
        ws.terminate();
        reject(err);
      } else {
        resolve(socket!);
      }
    };
    const timer = setTimeout(() => finish(new HaCannotConnectError(`no answer from ${wsUrl} within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => finish(new HaCannotConnectError('connection attempt cancelled'));
    signal?.addEventListener('abort', onAbort);

    const onMessage = (data: WebSocket.RawData): void => {
      let frame: unknown;
      try {
        frame = JSON.parse(rawToString(data));
      } catch {
        log.warn('ignored a frame that is not JSON during authentication');
        return;
      }
      const base = frameSchema.safeParse(frame);
      if (!base.success) return;
      switch (base.data.type) {
        case 'auth_required':
          // The token goes only into this frame; it is never logged.
          ws.send(JSON.stringify({ type: 'auth', access_token: token }));
          return;
        case 'auth_ok': {
          const ok = authOkSchema.safeParse(frame);
          const version = ok.success ? (ok.data.ha_version ?? 'unknown') : 'unknown';
          ws.off('close', onClose);
          ws.off('error', onError);
          const socket = new HaSocket(ws, version, log);
          // As the library's own socket does: ask HA to coalesce messages (id 1 is reserved for it).
          if (atLeastVersion(version, 2022, 9)) {
            ws.send(JSON.stringify({ type: 'supported_features', id: 1, features: { coalesce_messages: 1 } }));
          }
          finish(undefined, socket);
          return;
        }
        case 'auth_invalid': {
          const invalid = authInvalidSchema.safeParse(frame);
          finish(new HaAuthInvalidError(invalid.success ? invalid.data.message : undefined));
          return;
        }
        default:
          log.debug({ type: base.data.type }, 'ignored a frame during authentication');
      }
    };
    const onError = (err: Error): void => {
      const code = (err as NodeJS.ErrnoException).code;
      certificate = certificateProblem(code, caFile);
      lastError = err.message || code || 'socket error';
    };
    const onClose = (code: number): void => {
      if (certificate) finish(new HaCannotConnectError(`${wsUrl}: ${certificate.message}`, certificate.code));
      else
        finish(
          new HaCannotConnectError(
            lastError ? `cannot reach ${wsUrl}: ${lastError}` : `${wsUrl} closed the connection (code ${code}) before authentication finished`,
          ),
        );
    };
    ws.on('message', onMessage);
    ws.on('error', onError);
    ws.on('close', onClose);
  });
}

function rawToString(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
