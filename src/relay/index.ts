import { hkdfSync, type KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Settings } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { ServiceManager } from '../core/lifecycle.js';
import { HttpService } from '../http/server.js';
import { loadPrivateKey } from '../link/messages.js';
import { RelayBroker } from './broker.js';
import { buildRelayApp } from './http.js';
import { openRelayStore, type RelayStore } from './store.js';
import { RelayTelephony } from './telephony.js';
import { openTelephonyState } from './telephony-store.js';
import { relayHookRoutes } from './hooks-routes.js';

/**
 * The cloud relay: its store (SQLite or PostgreSQL, see store.ts), then the broker, then HTTP,
 * with the hub's lifecycle manager, logger and HTTP service.
 */
export class Relay {
  private constructor(
    readonly services: ServiceManager,
    readonly broker: RelayBroker,
    readonly http: HttpService,
    readonly app: FastifyInstance,
    readonly store: RelayStore,
    readonly telephony: RelayTelephony,
  ) {}

  static async create(settings: Settings, log: Logger): Promise<Relay> {
    const s = settings.relay;
    const key = s.signing_key ? loadPrivateKey(s.signing_key) : undefined;
    const store = await openRelayStore(s, log.child({ part: 'relay-store' }));
    try {
      const broker = new RelayBroker(s, log.child({ part: 'relay-broker' }), store, key);
      const telephony = new RelayTelephony(s, log.child({ part: 'relay-telephony' }), broker, await openTelephonyState(store.db, key && profileSealKey(key)));
      const app = await buildRelayApp(s, broker, log);
      await app.register(relayHookRoutes(telephony));
      const http = new HttpService(app, s.host, s.port);
      const services = new ServiceManager({ log: log.child({ part: 'lifecycle' }) });
      services.add(broker).add(telephony).add(http);
      return new Relay(services, broker, http, app, store, telephony);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  get url(): string {
    return this.http.url;
  }

  start(): Promise<void> {
    return this.services.start();
  }

  async stop(): Promise<void> {
    await this.services.stop();
    await this.store.close();
  }
}

/** The key that seals hubs' telephony profiles in the relay's store, derived from the signing key every relay of a group shares. */
function profileSealKey(signingKey: KeyObject): Buffer {
  return Buffer.from(hkdfSync('sha256', signingKey.export({ format: 'der', type: 'pkcs8' }), 'hearth-relay', 'telephony-profile-seal', 32));
}
