import type { FastifyInstance } from 'fastify';
import type { Settings } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { ServiceManager } from '../core/lifecycle.js';
import { HttpService } from '../http/server.js';
import { loadPrivateKey } from '../link/messages.js';
import { RelayBroker } from './broker.js';
import { buildRelayApp } from './http.js';

/**
 * The cloud relay: stateless apart from an optional file of audit copies. Its own composition
 * (broker, then HTTP), with the hub's lifecycle manager, logger and HTTP service.
 */
export class Relay {
  private constructor(
    readonly services: ServiceManager,
    readonly broker: RelayBroker,
    readonly http: HttpService,
    readonly app: FastifyInstance,
  ) {}

  static async create(settings: Settings, log: Logger): Promise<Relay> {
    const s = settings.relay;
    const key = s.signing_key ? loadPrivateKey(s.signing_key) : undefined;
    const broker = new RelayBroker(s, log.child({ part: 'relay-broker' }), key);
    const app = await buildRelayApp(s, broker, log);
    const http = new HttpService(app, s.host, s.port);
    const services = new ServiceManager({ log: log.child({ part: 'lifecycle' }) });
    services.add(broker).add(http);
    return new Relay(services, broker, http, app);
  }

  get url(): string {
    return this.http.url;
  }

  start(): Promise<void> {
    return this.services.start();
  }

  stop(): Promise<void> {
    return this.services.stop();
  }
}
