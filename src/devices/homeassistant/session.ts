import { callService, createConnection, createLongLivedTokenAuth, getStates, type Connection, type HaWebSocket } from 'home-assistant-js-websocket';
import { isoTime, type Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { ComponentHealth } from '../../core/lifecycle.js';
import { withTimeout } from '../../core/lifecycle.js';
import type { Logger } from '../../core/logger.js';
import type { EntityRegistry } from '../registry.js';
import { deviceIndex, type DeviceInfo } from './mapping.js';
import { HaMirror } from './mirror.js';
import { haConfigSchema, haErrorSchema, toHttpBase } from './protocol.js';
import { HaAuthInvalidError, openAuthenticatedSocket, type HaSocket } from './socket.js';
import { devicesErrors } from '../errors.js';

export interface SessionTimings {
  /** Opening the socket and authenticating, each attempt. */
  connectTimeoutMs: number;
  /** First reconnect delay; doubles per failure, up to the cap, with jitter. */
  backoffBaseMs: number;
  backoffCapMs: number;
  /** After auth_invalid: one try per this period (a new token may have been set in HA). */
  authRetryMs: number;
  /** An application-level ping finds half-open connections that never report a close. */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** Subscribing and loading all states after a connect. */
  syncTimeoutMs: number;
  /** A service call without an answer in this time fails (it may still take effect). */
  commandTimeoutMs: number;
  /**
   * A connection must stay up this long after its sync before the back-off starts over; one that
   * HA (or a proxy in front of it) drops sooner counts as a failure, so a flapping link backs off
   * instead of reloading every state in a tight loop.
   */
  stableMs: number;
}

export const DEFAULT_TIMINGS: SessionTimings = {
  connectTimeoutMs: 10_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 60_000,
  authRetryMs: 10 * 60_000,
  pingIntervalMs: 30_000,
  pingTimeoutMs: 10_000,
  syncTimeoutMs: 30_000,
  commandTimeoutMs: 10_000,
  stableMs: 30_000,
};

export const AUTH_INVALID_DETAIL = 'Home Assistant rejected the access token (auth_invalid)';

type Phase = 'connecting' | 'syncing' | 'connected' | 'reconnecting' | 'auth_failed' | 'stopped';

/** Exponential back-off with equal jitter: half fixed, half random, so it is never zero. */
export function backoffDelay(failures: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

export interface SessionDeps {
  registry: EntityRegistry;
  log: Logger;
  clock: Clock;
}

/**
 * One connection to one Home Assistant (one url and token), kept alive until stopped.
 * home-assistant-js-websocket's Connection runs the protocol and its reconnect; the socket
 * factory it calls is ours, and it returns only once a socket is authenticated: it waits out
 * a capped, jittered back-off between failures, and after auth_invalid it tries only once per
 * `authRetryMs`, so the library's own fixed 1–5 s retry never runs. Every (re)connect loads
 * all states again: changed ones are updated, vanished ones removed; while disconnected the
 * bridge's entities are marked unavailable.
 */
export class HaSession {
  private phase: Phase = 'connecting';
  private conn?: Connection;
  private socket?: HaSocket;
  private haVersion?: string;
  private stopped = false;
  private failures = 0;
  private attempts = 0;
  private authFailed = false;
  private syncedThisSocket = false;
  private everConnected = false;
  private lastError?: string;
  private lastErrorAt?: number;
  /** Why we dropped the current socket ourselves (ping, sync), for the disconnect that follows. */
  private dropCause?: string;
  private nextAttemptAt?: number;
  private sleepTimer?: NodeJS.Timeout;
  private wake?: () => void;
  private pingTimer?: NodeJS.Timeout;
  private stableTimer?: NodeJS.Timeout;
  private pingInFlight = false;
  private cancelSync?: () => void;
  private readonly abort = new AbortController();
  private haStartingUp = false;
  private startedDuringSync = false;
  private readonly mirror: HaMirror;

  constructor(
    private readonly deps: SessionDeps,
    readonly wsUrl: string,
    private readonly token: string,
    private readonly timings: SessionTimings,
    /** homeassistant.ca, passed to every connect (tls.ts builds the TLS options). */
    private readonly caFile?: string,
  ) {
    this.mirror = new HaMirror(deps.registry, deps.log);
  }

  /** Returns at once; connecting goes on in the background. */
  start(): void {
    const auth = createLongLivedTokenAuth(toHttpBase(this.wsUrl), this.token);
    createConnection({ auth, setupRetry: 0, createSocket: () => this.openWithBackoff() })
      .then((conn) => {
        if (this.stopped) {
          conn.close();
          return;
        }
        this.conn = conn;
        conn.addEventListener('ready', () => this.onReady());
        conn.addEventListener('disconnected', () => this.onDisconnected());
        this.onReady(); // the first 'ready' fired inside createConnection, before we listened
      })
      .catch((err: unknown) => this.deps.log.error({ err: haErrorText(err) }, 'Home Assistant connection setup failed'));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.phase = 'stopped';
    this.abort.abort();
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.sleepTimer = undefined;
    this.wake?.();
    this.cancelSync?.();
    this.stopPing();
    this.clearStable();
    this.conn?.close();
    this.socket?.terminate();
    this.socket = undefined;
  }

  /** Hands a service call to HA; resolves when HA answered with success. */
  async callService(domain: string, service: string, data: Record<string, unknown>): Promise<void> {
    const conn = this.conn;
    if (!conn || !conn.connected || (this.phase !== 'connected' && this.phase !== 'syncing')) {
      throw devicesErrors.error('HA_NOT_CONNECTED', `Home Assistant is not connected (${this.health().detail})`);
    }
    try {
      await withTimeout(
        callService(conn, domain, service, data),
        this.timings.commandTimeoutMs,
        `no answer within ${this.timings.commandTimeoutMs} ms (the command may still take effect)`,
      );
    } catch (err) {
      throw devicesErrors.error('HA_SERVICE_FAILED', `Home Assistant did not run ${domain}.${service}: ${haErrorText(err)}`);
    }
  }

  health(): ComponentHealth {
    const count = this.mirror.count;
    const next = this.nextAttemptAt === undefined ? '' : `; next try in ${formatDuration(this.nextAttemptAt - this.deps.clock.now())}`;
    const last = this.lastError ? `; last error: ${this.lastError}` : '';
    switch (this.phase) {
      case 'connected':
        return {
          status: 'ok',
          detail:
            `connected to Home Assistant${this.haVersion ? ` ${this.haVersion}` : ''} at ${this.wsUrl}; ${count} entities` +
            `${this.haStartingUp ? ' (Home Assistant is still starting)' : ''}` +
            `${this.lastError && this.lastErrorAt !== undefined ? `; last error at ${isoTime(this.lastErrorAt)}: ${this.lastError}` : ''}`,
        };
      case 'syncing':
        return { status: 'degraded', detail: `connected to ${this.wsUrl}, loading states${last}` };
      case 'connecting':
        return { status: 'degraded', detail: `connecting to ${this.wsUrl} (attempt ${Math.max(1, this.attempts)})${next}${last}` };
      case 'reconnecting':
        return {
          status: 'degraded',
          detail: `connection to ${this.wsUrl} lost; reconnecting (attempt ${Math.max(1, this.attempts)})${next}; ${count} entities marked unavailable${last}`,
        };
      case 'auth_failed':
        return {
          status: 'degraded',
          detail: `${AUTH_INVALID_DETAIL} at ${this.wsUrl}; retrying only once every ${formatDuration(this.timings.authRetryMs)}${next}; set a new homeassistant.token`,
        };
      case 'stopped':
        return { status: 'stopped', detail: 'stopped' };
    }
  }

  /** The socket factory the library calls, first and after every disconnect. */
  private async openWithBackoff(): Promise<HaWebSocket> {
    for (;;) {
      if (this.stopped) return never();
      if (this.failures > 0 || this.authFailed) {
        const delay = this.authFailed ? this.timings.authRetryMs : backoffDelay(this.failures, this.timings.backoffBaseMs, this.timings.backoffCapMs);
        this.nextAttemptAt = this.deps.clock.now() + delay;
        await this.sleep(delay);
        this.nextAttemptAt = undefined;
        if (this.stopped) return never();
      }
      this.attempts++;
      try {
        const socket = await openAuthenticatedSocket({
          wsUrl: this.wsUrl,
          token: this.token,
          timeoutMs: this.timings.connectTimeoutMs,
          log: this.deps.log,
          signal: this.abort.signal,
          caFile: this.caFile,
        });
        if (this.stopped) {
          socket.terminate();
          return never();
        }
        this.authFailed = false;
        this.socket = socket;
        this.haVersion = socket.haVersion;
        this.syncedThisSocket = false;
        this.phase = 'syncing';
        return socket.asHaWebSocket();
      } catch (err) {
        if (this.stopped) return never();
        if (err instanceof HaAuthInvalidError) {
          this.authFailed = true;
          this.phase = 'auth_failed';
          this.setError(AUTH_INVALID_DETAIL);
          this.deps.log.error(
            { url: this.wsUrl, retry_every_s: Math.round(this.timings.authRetryMs / 1000) },
            `${AUTH_INVALID_DETAIL}; set a new homeassistant.token`,
          );
        } else {
          this.failures++;
          this.phase = this.everConnected ? 'reconnecting' : 'connecting';
          this.setError(errorMessage(err));
          const level = this.failures <= 3 || this.failures % 10 === 0 ? 'warn' : 'debug';
          this.deps.log[level]({ url: this.wsUrl, attempt: this.attempts, err: this.lastError }, 'cannot connect to Home Assistant; will retry');
        }
      }
    }
  }

  private setError(message: string): void {
    this.lastError = message;
    this.lastErrorAt = this.deps.clock.now();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(() => {
        this.sleepTimer = undefined;
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }

  private onReady(): void {
    if (this.stopped || !this.conn || !this.socket) return;
    void this.sync(this.conn, this.socket);
  }

  /** Subscribes to state_changed, then loads every state (HA answers in order, so no change is lost). */
  private async sync(conn: Connection, socket: HaSocket): Promise<void> {
    const stale = () => this.stopped || socket !== this.socket;
    // A subscription in flight is neither answered nor rejected when the socket closes, so the
    // wait ends on a timeout, a disconnect or stop() — whichever comes first, leaving no timer.
    let timer: NodeJS.Timeout | undefined;
    let cancel: (() => void) | undefined;
    const cut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer to subscribe_events/get_states within ${this.timings.syncTimeoutMs} ms`)),
        this.timings.syncTimeoutMs,
      );
      cancel = () => reject(new Error('connection closed'));
    });
    this.cancelSync = cancel;
    cut.catch(() => {});
    try {
      await Promise.race([
        (async () => {
          this.mirror.hold(); // changes wait until the snapshot is in, then replay
          await conn.subscribeMessage(
            (event: unknown) => !stale() && this.mirror.onEvent(event),
            { type: 'subscribe_events', event_type: 'state_changed' },
            { resubscribe: false },
          );
          await conn.subscribeMessage(
            () => void this.resnapshot(conn, socket),
            { type: 'subscribe_events', event_type: 'homeassistant_started' },
            { resubscribe: false },
          );
          const starting = await this.haStarting(conn);
          this.mirror.devices = await this.loadDevices(conn);
          const states: unknown = await getStates(conn);
          if (!stale()) this.mirror.applySnapshot(states, !starting);
        })(),
        cut,
      ]);
    } catch (err) {
      this.mirror.release();
      if (stale()) return;
      this.dropCause = `loading states failed: ${haErrorText(err)}`;
      this.setError(this.dropCause);
      this.deps.log.warn({ url: this.wsUrl, err: this.dropCause }, 'Home Assistant sync failed; reconnecting');
      socket.terminate(); // the library reconnects; this socket counts as a failure
      return;
    } finally {
      clearTimeout(timer);
      if (this.cancelSync === cancel) this.cancelSync = undefined;
    }
    if (stale()) return;
    this.phase = 'connected';
    this.clearStable();
    this.stableTimer = setTimeout(() => {
      this.stableTimer = undefined;
      if (socket === this.socket) this.failures = 0;
    }, this.timings.stableMs);
    this.stableTimer.unref();
    this.attempts = 0; // health counts the attempts of the next outage from one
    this.syncedThisSocket = true;
    this.everConnected = true;
    this.startPing(conn, socket);
    this.deps.log.info({ url: this.wsUrl, ha_version: this.haVersion, entities: this.mirror.count }, 'connected to Home Assistant');
    if (this.startedDuringSync) void this.resnapshot(conn, socket);
  }

  /** Device names and makers from HA's registries; optional (an empty map when HA says no). */
  private async loadDevices(conn: Connection): Promise<Map<string, DeviceInfo>> {
    try {
      const [entities, devices] = await Promise.all([
        conn.sendMessagePromise({ type: 'config/entity_registry/list' }),
        conn.sendMessagePromise({ type: 'config/device_registry/list' }),
      ]);
      return deviceIndex(entities, devices);
    } catch (err) {
      this.deps.log.debug({ err: haErrorText(err) }, 'no device information from Home Assistant (registries not available to this token)');
      return new Map();
    }
  }

  private onDisconnected(): void {
    if (this.stopped) return;
    this.stopPing();
    this.cancelSync?.();
    // Not synced, or dropped before it was stable (the timer still pending): a failure.
    if (!this.syncedThisSocket || this.stableTimer) this.failures++;
    this.clearStable();
    this.socket = undefined;
    this.phase = 'reconnecting';
    this.mirror.release();
    this.setError(this.dropCause ?? 'the connection closed (Home Assistant restarting or the network down)');
    this.dropCause = undefined;
    const marked = this.mirror.markAllUnavailable();
    this.deps.log.warn({ url: this.wsUrl, marked_unavailable: marked }, 'lost the connection to Home Assistant; reconnecting');
  }

  /**
   * HA accepts connections before its integrations have loaded: entities missing then may
   * only be late, so they are kept (unavailable) until HA fires homeassistant_started.
   */
  private async haStarting(conn: Connection): Promise<boolean> {
    try {
      const config = haConfigSchema.safeParse(await conn.sendMessagePromise({ type: 'get_config' }));
      this.haStartingUp = config.success && config.data.state !== undefined && config.data.state !== 'RUNNING';
    } catch {
      this.haStartingUp = false;
    }
    return this.haStartingUp;
  }

  /** After homeassistant_started: everything HA has now, and nothing it no longer has. */
  private async resnapshot(conn: Connection, socket: HaSocket): Promise<void> {
    if (this.stopped || socket !== this.socket) return;
    if (this.mirror.holding) {
      this.startedDuringSync = true; // the sync in progress runs this when it is done
      return;
    }
    this.startedDuringSync = false;
    this.mirror.hold();
    try {
      this.mirror.devices = await this.loadDevices(conn);
      const states: unknown = await getStates(conn);
      if (this.stopped || socket !== this.socket) return;
      this.haStartingUp = false;
      this.mirror.applySnapshot(states, true);
      this.deps.log.info({ entities: this.mirror.count }, 'Home Assistant finished starting; states loaded again');
    } catch (err) {
      this.deps.log.warn({ err: haErrorText(err) }, 'could not load states after Home Assistant started');
    } finally {
      if (socket === this.socket) this.mirror.release();
    }
  }

  private startPing(conn: Connection, socket: HaSocket): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (this.pingInFlight || socket !== this.socket || !conn.connected) return;
      this.pingInFlight = true;
      withTimeout(conn.ping(), this.timings.pingTimeoutMs, 'no pong')
        .catch(() => {
          if (this.stopped || socket !== this.socket) return;
          this.dropCause = `no answer to a ping within ${this.timings.pingTimeoutMs} ms`;
          this.setError(this.dropCause);
          this.deps.log.warn({ url: this.wsUrl }, 'Home Assistant did not answer a ping; dropping the connection');
          socket.terminate();
        })
        .finally(() => {
          this.pingInFlight = false;
        });
    }, this.timings.pingIntervalMs);
    this.pingTimer.unref();
  }

  private clearStable(): void {
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = undefined;
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }
}

/** HA and the library reject with `{code, message}` objects or bare numbers, not Errors. */
export function haErrorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'number') {
    const names: Record<number, string> = { 1: 'cannot connect', 2: 'invalid authentication', 3: 'connection lost' };
    return names[err] ?? `error ${err}`;
  }
  if (err && typeof err === 'object' && 'error' in err) return haErrorText((err as { error: unknown }).error);
  const parsed = haErrorSchema.safeParse(err);
  if (parsed.success) return parsed.data.message ? `${parsed.data.message} (${parsed.data.code})` : String(parsed.data.code);
  return String(err);
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  return `${Math.round(s / 60)} min`;
}
