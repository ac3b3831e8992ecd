import { createRequire } from 'node:module';
import type { Logger } from './logger.js';
import type { Service } from './lifecycle.js';

/**
 * sd_notify(3) without libsystemd: a datagram to $NOTIFY_SOCKET. Node has no Unix datagram
 * sockets, so the optional `unix-dgram` addon sends it. Without systemd (no NOTIFY_SOCKET)
 * every call is a no-op and the daemon runs the same.
 */
interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  close(): void;
}
type UnixDgram = { createSocket(type: 'unix_dgram'): UnixDgramSocket };

export class SystemdNotifier implements Service {
  readonly name = 'systemd';
  readonly optional = true;
  private socket?: UnixDgramSocket;
  private watchdog?: NodeJS.Timeout;
  private readonly path: string | undefined;

  constructor(
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const raw = env.NOTIFY_SOCKET;
    // Abstract sockets are written with a leading '@' and addressed with a NUL byte.
    this.path = raw ? (raw.startsWith('@') ? `\0${raw.slice(1)}` : raw) : undefined;
    const usec = Number(env.WATCHDOG_USEC ?? 0);
    const pid = env.WATCHDOG_PID ? Number(env.WATCHDOG_PID) : process.pid;
    this.watchdogMs = usec > 0 && pid === process.pid ? Math.max(500, Math.floor(usec / 1000 / 2)) : 0;
  }

  readonly watchdogMs: number;

  get enabled(): boolean {
    return this.path !== undefined;
  }

  start(): void {
    if (!this.path) return;
    try {
      const dgram = createRequire(import.meta.url)('unix-dgram') as UnixDgram;
      this.socket = dgram.createSocket('unix_dgram');
      this.socket.on('error', (err) => this.log.warn({ err: err.message }, 'systemd notify failed'));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'unix-dgram is not installed; systemd notifications are off');
      return;
    }
    if (this.watchdogMs > 0) {
      this.watchdog = setInterval(() => this.notify('WATCHDOG=1'), this.watchdogMs);
      this.watchdog.unref();
    }
  }

  ready(status: string): void {
    this.notify(`READY=1\nSTATUS=${status}\nMAINPID=${process.pid}`);
  }

  status(status: string): void {
    this.notify(`STATUS=${status}`);
  }

  stopping(): void {
    this.notify('STOPPING=1\nSTATUS=stopping');
  }

  notify(message: string): void {
    if (!this.socket || !this.path) return;
    const buf = Buffer.from(message);
    try {
      this.socket.send(buf, 0, buf.length, this.path);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'systemd notify failed');
    }
  }

  stop(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.socket?.close();
    this.socket = undefined;
  }
}
