import type { HubContext } from '../part/context.js';
import type { PartTables } from '../store/database.js';
import type { PartInstance } from '../part/define.js';
import type { Service } from '../core/lifecycle.js';
import type { DeviceAdapter } from './model.js';
import { EntityRegistry } from './registry.js';
import { StateHistory } from './history.js';
import { DeviceCredentials } from './credentials.js';
import { EntityOverrides } from './overrides.js';
import { defineDeviceLoginChanges, deviceRoutes } from './routes.js';
import type { HubChanges } from '../core/hub-changes.js';
import { LanBroker } from './mqtt/broker.js';
import { MqttAdapter } from './mqtt/adapter.js';
import type { DemoHome } from './demo/home.js';
import { DemoSwitch } from './demo/switch.js';
import { createHomeAssistantAdapter } from './homeassistant/adapter.js';

export { LanBroker } from './mqtt/broker.js';
export { EntityRegistry } from './registry.js';

export const devicesTables: PartTables = {
  part: 'devices',
  migrations: [
    {
      version: 1,
      name: 'state history, device logins, entity overrides, broker persistence',
      up: `
        CREATE TABLE state_history (
          id INTEGER PRIMARY KEY,
          entity_id TEXT NOT NULL,
          state TEXT NOT NULL,
          attributes TEXT NOT NULL,
          available INTEGER NOT NULL DEFAULT 1,
          at TEXT NOT NULL
        );
        CREATE INDEX state_history_entity ON state_history (entity_id, id);
        CREATE INDEX state_history_at ON state_history (at);
        CREATE TABLE device_credentials (
          username TEXT PRIMARY KEY,
          hash TEXT NOT NULL,
          description TEXT,
          created_at TEXT NOT NULL,
          created_by TEXT NOT NULL,
          last_used_at TEXT
        );
        CREATE TABLE entity_overrides (
          entity_id TEXT PRIMARY KEY,
          aliases TEXT NOT NULL,
          area TEXT,
          updated_at TEXT NOT NULL
        );
        CREATE TABLE mqtt_retained (
          topic TEXT PRIMARY KEY,
          payload BLOB NOT NULL,
          qos INTEGER NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE TABLE mqtt_subscriptions (
          client_id TEXT NOT NULL,
          topic TEXT NOT NULL,
          qos INTEGER NOT NULL,
          rh INTEGER NOT NULL DEFAULT 0,
          rap INTEGER NOT NULL DEFAULT 0,
          nl INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (client_id, topic)
        );
      `,
    },
    {
      version: 2,
      name: 'messages queued for offline persistent MQTT sessions',
      up: `
        CREATE TABLE mqtt_outgoing (
          id INTEGER PRIMARY KEY,
          client_id TEXT NOT NULL,
          broker_id TEXT NOT NULL,
          broker_counter INTEGER NOT NULL,
          message_id INTEGER,
          packet TEXT NOT NULL
        );
        CREATE INDEX mqtt_outgoing_client ON mqtt_outgoing (client_id, id);
      `,
    },
    {
      version: 3,
      name: 'size of each queued MQTT message, for a total bound in bytes',
      up: `
        ALTER TABLE mqtt_outgoing ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
        UPDATE mqtt_outgoing SET bytes = length(CAST(packet AS BLOB));
      `,
    },
    {
      version: 4,
      name: 'the owner can rename an entity and hide it from Home',
      up: `
        ALTER TABLE entity_overrides ADD COLUMN name TEXT;
        ALTER TABLE entity_overrides ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
      `,
    },
  ],
};

export interface DevicesPart extends PartInstance {
  registry: EntityRegistry;
  /** Adapters by source (mqtt, homeassistant). Only the gate's executor calls their execute(). */
  adapters: Map<string, DeviceAdapter>;
  broker?: LanBroker;
  history: StateHistory;
  credentials: DeviceCredentials;
  demo?: DemoHome;
}

/**
 * The devices part: the entity registry, its history, the embedded broker with MQTT
 * discovery, the demo home and the Home Assistant bridge. Start order: history (so the first
 * states are recorded), broker, MQTT adapter, demo, Home Assistant.
 */
export interface DevicesDeps {
  /** Making and removing device logins are hub changes through the action gate. */
  changes: HubChanges;
}

export function createDevicesPart(ctx: HubContext, deps: DevicesDeps): DevicesPart {
  const registry = new EntityRegistry(ctx.bus, ctx.clock);
  const history = new StateHistory(ctx);
  const credentials = new DeviceCredentials(ctx.store.db, ctx.clock);
  const overrides = new EntityOverrides(ctx.store.db, ctx.clock);
  const adapters = new Map<string, DeviceAdapter>();
  const services: Service[] = [history];
  const settings = ctx.settings.get();

  // Owner edits come back with the entity whenever an adapter re-announces it.
  const reapply: Service = {
    name: 'devices.overrides',
    start() {
      off = ctx.bus.on('entity.added', (e) => {
        const o = overrides.get(e.id);
        if (o) registry.applyOverride(e.id, o);
      });
    },
    stop() {
      off?.();
    },
  };
  let off: (() => void) | undefined;
  services.push(reapply);

  let broker: LanBroker | undefined;
  let demo: DemoHome | undefined;
  if (settings.mqtt.enabled) {
    broker = new LanBroker(ctx, credentials);
    const mqtt = new MqttAdapter(ctx, broker, registry);
    adapters.set(mqtt.source, mqtt);
    services.push(broker, mqtt);
    // On or off with hub.demo, at run time too.
    const demoSwitch = new DemoSwitch(ctx, broker);
    demo = demoSwitch.demo;
    services.push(demoSwitch);
  }
  defineDeviceLoginChanges(ctx, { credentials, broker, changes: deps.changes });
  const ha = createHomeAssistantAdapter(ctx, registry);
  adapters.set(ha.source, ha);
  services.push(ha);
  ctx.maintenance.define('resync_connector', 'homeassistant', () => ha.resync());
  return {
    name: 'devices',
    services,
    routes: deviceRoutes(ctx, { registry, history, overrides, credentials, broker, demo, changes: deps.changes }),
    registry,
    adapters,
    broker,
    history,
    credentials,
    demo,
  };
}
