import type { HubContext } from '../../part/context.js';
import type { ComponentHealth } from '../../core/lifecycle.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceAdapter, Entity } from '../model.js';
import type { EntityRegistry } from '../registry.js';
import { expectedState } from '../operations.js';
import { mqttStateTopicKeys } from '../domains/index.js';
import type { LanBroker } from './broker.js';
import { MqttDiscovery } from './discovery/discovery.js';
import { commandsFor } from './discovery/components.js';
import { entityTopicProblem } from './topic-rules.js';
import { devicesErrors } from '../errors.js';

/**
 * Entities discovered on the embedded broker. `execute` publishes the command the device's
 * discovery config asks for; only the gate's executor calls it.
 */
export class MqttAdapter implements DeviceAdapter {
  readonly name = 'devices.mqtt';
  readonly source = 'mqtt';
  readonly discovery: MqttDiscovery;
  private running = false;
  private readonly log: Logger;

  constructor(
    ctx: HubContext,
    private readonly broker: LanBroker,
    readonly registry: EntityRegistry,
  ) {
    this.log = ctx.log.child({ part: 'mqtt' });
    this.discovery = new MqttDiscovery(broker, registry, ctx.log.child({ part: 'mqtt.discovery' }), this.source);
  }

  async start(): Promise<void> {
    await this.discovery.start();
    this.running = true;
    await this.broker.announceBirth();
  }

  stop(): void {
    this.running = false;
    this.discovery.stop();
  }

  health(): ComponentHealth {
    return this.running ? { status: 'ok', detail: `${this.discovery.size} discovered entities` } : { status: 'stopped', detail: 'not running' };
  }

  async execute(entity: Entity, operation: string, params: Record<string, unknown>): Promise<void> {
    const record = this.discovery.lookup(entity.id);
    if (!record) throw devicesErrors.error('NOT_FOUND', `${entity.id} is not an MQTT entity`);
    const current = this.registry.get(entity.id) ?? entity;
    const commands = commandsFor(record.component, record.cfg, current, operation, params);
    // The hub publishes in process, past the broker's authorizePublish: the same topic rules as
    // for a config apply here, so that no config (however it got in) steers a command into them.
    for (const c of commands) {
      const problem = entityTopicProblem(c.topic, record.configTopic);
      if (problem) {
        this.log.warn(
          { entity_id: entity.id, topic: c.topic, config_topic: record.configTopic, problem },
          'mqtt command refused: its topic is reserved for the hub',
        );
        throw devicesErrors.error(
          'DEVICE_TOPIC_RESERVED',
          `${entity.id} is set up to send its commands to a topic reserved for the hub (${c.topic}); nothing was sent`,
        );
      }
    }
    const qos = record.cfg.qos && record.cfg.qos > 0 ? 1 : 0;
    for (const c of commands) await this.broker.publish(c.topic, c.payload, { qos, retain: record.cfg.retain ?? false });
    // Without a state topic HA runs the entity optimistically: the command is the new state.
    const cfg = record.cfg as Record<string, unknown>;
    const stateTopicKey = mqttStateTopicKeys(record.component).find((k) => cfg[k] !== undefined && cfg[k] !== null);
    const stateTopic = stateTopicKey ? cfg[stateTopicKey] : undefined;
    if (!stateTopic || cfg.optimistic === true) {
      const expected = expectedState(current, operation, params);
      if (expected) this.registry.setState(entity.id, expected);
    }
  }
}
