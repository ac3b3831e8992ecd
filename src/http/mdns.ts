import type { HubContext } from '../part/context.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import { errorMessage } from '../core/errors.js';
import type { HttpService } from './server.js';

type BonjourClass = typeof import('bonjour-service').Bonjour;
type Bonjour = InstanceType<BonjourClass>;

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/**
 * Announces the web UI on the home network over mDNS/DNS-SD (`_http._tcp`, host
 * `hearth.local`), so a phone on the home Wi-Fi opens http://hearth.local:8080 without knowing
 * an IP address. Only when the UI listens beyond loopback (nobody else could reach it
 * otherwise); on the one interface when `http.host` names an address. bonjour-service is loaded
 * only when announcing, and follows changes of `mdns.*` and the home's name at run time.
 */
export class MdnsAnnouncer implements Service {
  readonly name = 'mdns';
  readonly optional = true;
  private bonjour?: Bonjour;
  private state: ComponentHealth = { status: 'disabled', detail: 'not started' };
  private offSettings?: () => void;
  private generation = 0;

  constructor(
    private readonly ctx: HubContext,
    private readonly http: Pick<HttpService, 'boundPort'>,
  ) {}

  async start(): Promise<void> {
    this.offSettings = this.ctx.bus.on('settings.changed', ({ changed }) => {
      if (changed.some((k) => k.startsWith('mdns.') || k === 'hub.name')) void this.restart();
    });
    await this.announce();
  }

  async stop(): Promise<void> {
    this.offSettings?.();
    this.generation++;
    await this.withdraw();
  }

  health(): ComponentHealth {
    return this.state;
  }

  private async restart(): Promise<void> {
    await this.withdraw();
    await this.announce();
  }

  private async announce(): Promise<void> {
    const generation = ++this.generation;
    const s = this.ctx.settings.get();
    if (!s.mdns.enabled) {
      this.state = { status: 'disabled', detail: 'off (mdns.enabled)' };
      return;
    }
    if (LOOPBACK.test(s.http.host)) {
      this.state = { status: 'disabled', detail: `not announced: the web UI listens on ${s.http.host} only` };
      return;
    }
    const mod = (await import('bonjour-service')) as unknown as { Bonjour?: BonjourClass; default?: { Bonjour: BonjourClass } };
    const Bonjour = (mod.Bonjour ?? mod.default?.Bonjour)!; // CommonJS under ESM: the class may sit on default
    if (generation !== this.generation) return; // stopped or restarted while loading
    const specific = s.http.host !== '0.0.0.0' && s.http.host !== '::';
    const host = `${s.mdns.hostname}.local`;
    const name = s.mdns.name ?? `${s.hub.name} Hearth`.slice(0, 63);
    const port = this.http.boundPort;
    // multicast-dns binds to `interface` unless told otherwise, and a socket bound to a unicast address
    // never sees the queries sent to the multicast group: bind to all, send and join on the one.
    const bonjour = new Bonjour(specific ? ({ interface: s.http.host, bind: '0.0.0.0' } as never) : {}, (err: unknown) => {
      this.state = { status: 'degraded', detail: `the announcement failed: ${errorMessage(err)}` };
      this.ctx.log.warn({ err: errorMessage(err) }, 'mdns announcement failed');
    });
    this.bonjour = bonjour;
    const service = bonjour.publish({ name, type: 'http', port, host, txt: { path: '/', product: 'hearth', version: this.ctx.version } });
    service.on('error', (err: unknown) => {
      // Another device already answers to this name: say so rather than fight over it.
      this.state = {
        status: 'degraded',
        detail: `another device on the network already uses “${name}” or ${host}: ${errorMessage(err)}; set mdns.name or mdns.hostname`,
      };
      this.ctx.log.warn({ err: errorMessage(err), name, host }, 'mdns name in use on the network');
    });
    service.on('up', () => this.ctx.log.info({ url: `http://${host}:${port}`, name }, 'announced on the home network'));
    this.state = { status: 'ok', detail: `announced as http://${host}:${port} (“${name}”)` };
  }

  private async withdraw(): Promise<void> {
    const bonjour = this.bonjour;
    this.bonjour = undefined;
    if (!bonjour) return;
    // Goodbye packets first, so phones forget the hub at once; bounded, the network may be gone.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      timer.unref();
      bonjour.unpublishAll(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    bonjour.destroy();
    this.state = { status: 'disabled', detail: 'not announced' };
  }
}
