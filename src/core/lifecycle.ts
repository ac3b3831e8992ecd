import type { Logger } from './logger.js';
import { errorMessage } from './errors.js';

export type HealthStatus = 'ok' | 'degraded' | 'down' | 'disabled' | 'starting' | 'stopped';

export interface ComponentHealth {
  status: HealthStatus;
  detail: string;
}

/**
 * The one lifecycle interface. Every part the hub runs is a Service; the manager starts
 * them in the order they were added and stops them in reverse, each step with a timeout,
 * so the process always exits.
 */
export interface Service {
  readonly name: string;
  /** An optional service that fails to start degrades the hub instead of stopping it. */
  readonly optional?: boolean;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
  /** What `/api/v1/health` shows for this component; default: running or not. */
  health?(): ComponentHealth;
}

export interface ServiceManagerOptions {
  log: Logger;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

type Entry = { service: Service; state: 'new' | 'running' | 'failed' | 'stopped'; error?: string; startedAt?: number; restarts: number };

export class ServiceManager {
  private readonly entries: Entry[] = [];
  private readonly log: Logger;
  private readonly startTimeoutMs: number;
  private readonly stopTimeoutMs: number;

  constructor(options: ServiceManagerOptions) {
    this.log = options.log;
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  }

  add(service: Service): this {
    if (this.entries.some((e) => e.service.name === service.name)) {
      throw new Error(`service ${service.name} added twice`);
    }
    this.entries.push({ service, state: 'new', restarts: 0 });
    return this;
  }

  get<T extends Service>(name: string): T | undefined {
    return this.entries.find((e) => e.service.name === name)?.service as T | undefined;
  }

  /** Starts each service in order. A required one that fails stops those already started and throws. */
  async start(): Promise<void> {
    for (const entry of this.entries) {
      const { service } = entry;
      const t0 = performance.now();
      try {
        await withTimeout(Promise.resolve(service.start()), this.startTimeoutMs, `${service.name} did not start within ${this.startTimeoutMs} ms`);
        entry.state = 'running';
        entry.startedAt = Date.now();
        this.log.debug({ service: service.name, ms: Math.round(performance.now() - t0) }, 'service started');
      } catch (err) {
        entry.state = 'failed';
        entry.error = errorMessage(err);
        if (service.optional) {
          this.log.warn({ service: service.name, err: entry.error }, 'optional service failed to start; hub continues degraded');
          continue;
        }
        this.log.error({ service: service.name, err: entry.error }, 'required service failed to start');
        await this.stop();
        throw err;
      }
    }
  }

  /** Stops running services in reverse order; a service that hangs is abandoned after its timeout. */
  async stop(): Promise<void> {
    for (const entry of [...this.entries].reverse()) {
      if (entry.state !== 'running' && entry.state !== 'failed') continue;
      const { service } = entry;
      try {
        await withTimeout(Promise.resolve(service.stop()), this.stopTimeoutMs, `${service.name} did not stop within ${this.stopTimeoutMs} ms`);
      } catch (err) {
        this.log.warn({ service: service.name, err: errorMessage(err) }, 'service stop failed');
      }
      entry.state = 'stopped';
    }
  }

  names(): string[] {
    return this.entries.map((e) => e.service.name);
  }

  /** When a service last started and how often it was restarted (support's "restart a part" reports it). */
  info(name: string): { state: Entry['state']; started_at: number | null; restarts: number } | undefined {
    const e = this.entries.find((x) => x.service.name === name);
    return e && { state: e.state, started_at: e.startedAt ?? null, restarts: e.restarts };
  }

  /** Stops one running (or failed) service and starts it again, each with its timeout. Throws when it does not start. */
  async restart(name: string): Promise<void> {
    const entry = this.entries.find((e) => e.service.name === name);
    if (!entry) throw new Error(`no service ${name}`);
    if (entry.state === 'running' || entry.state === 'failed') {
      await withTimeout(Promise.resolve(entry.service.stop()), this.stopTimeoutMs, `${name} did not stop within ${this.stopTimeoutMs} ms`);
      entry.state = 'stopped';
    }
    entry.restarts++;
    try {
      await withTimeout(Promise.resolve(entry.service.start()), this.startTimeoutMs, `${name} did not start within ${this.startTimeoutMs} ms`);
      entry.state = 'running';
      entry.startedAt = Date.now();
      entry.error = undefined;
      this.log.info({ service: name, restarts: entry.restarts }, 'service restarted');
    } catch (err) {
      entry.state = 'failed';
      entry.error = errorMessage(err);
      throw err;
    }
  }

  health(): Record<string, ComponentHealth> {
    const out: Record<string, ComponentHealth> = {};
    for (const entry of this.entries) {
      const { service } = entry;
      if (entry.state === 'failed') {
        out[service.name] = { status: service.optional ? 'degraded' : 'down', detail: entry.error ?? 'failed' };
      } else if (entry.state === 'running') {
        out[service.name] = safeHealth(service);
      } else {
        out[service.name] = { status: entry.state === 'new' ? 'starting' : 'stopped', detail: entry.state };
      }
    }
    return out;
  }
}

function safeHealth(service: Service): ComponentHealth {
  try {
    return service.health?.() ?? { status: 'ok', detail: 'running' };
  } catch (err) {
    return { status: 'degraded', detail: `health check failed: ${errorMessage(err)}` };
  }
}

/** The worst status of a set decides the hub's: any `down` → down; any `degraded` → degraded. */
export function overallStatus(components: Record<string, ComponentHealth>): 'ok' | 'degraded' | 'down' | 'starting' {
  const statuses = Object.values(components).map((c) => c.status);
  if (statuses.includes('down')) return 'down';
  if (statuses.includes('starting')) return 'starting';
  if (statuses.includes('degraded')) return 'degraded';
  return 'ok';
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
