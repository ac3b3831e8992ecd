import { DEMO_NODE, DEMO_ROOT } from '../demo/devices.js';

/**
 * The one place that says which MQTT topics belong to the hub. Two questions use it:
 * - may a LAN client publish here? (`devicePublishProblem`, the broker's authorizePublish)
 * - may a discovered entity name this topic as its command, state, availability, … topic?
 *   (`entityTopicProblem`, every discovery format when it reads a config, and the MQTT adapter
 *   before the hub publishes a device command)
 * so that a device with a broker login cannot make the hub publish into its own topics.
 */

/** Discovery prefixes the hub listens to (HA's and Tasmota's native one). */
export const DISCOVERY_PREFIXES = ['homeassistant', 'tasmota/discovery'] as const;

/** The hub's own traffic (the demo home lives under hearth/demo). */
const HUB_ROOT = 'hearth/';

/** A discovery config of the demo home: only the hub publishes these. */
export function isDemoDiscovery(topic: string): boolean {
  return topic.startsWith('homeassistant/') && topic.split('/', 3)[2] === DEMO_NODE;
}

/** Why a LAN client may not publish to `topic`, or undefined when it may. */
export function devicePublishProblem(topic: string): string | undefined {
  if (topic.startsWith(HUB_ROOT)) return 'topic is reserved for the hub';
  // $SYS and the like are the broker's ([MQTT-4.7.2-1]: not for applications).
  if (topic.startsWith('$')) return 'topics starting with $ are reserved for the broker';
  if (isDemoDiscovery(topic)) return 'topic is the demo home discovery config, reserved for the hub';
  return undefined;
}

/**
 * Why a discovered entity may not use `topic` (command, state, availability, attributes, …), or
 * undefined when it may. `configTopic` is where its config came from: the demo home's configs
 * (which only the hub can publish) may use the demo's own topics; nothing else may use the hub's
 * topics, the broker's, or any discovery topic (a command there would rewrite a config).
 */
export function entityTopicProblem(topic: string, configTopic: string): string | undefined {
  if (topic.length === 0) return 'topic is empty';
  if (topic.length > 1024) return 'topic too long';
  if (topic.includes('+') || topic.includes('#') || topic.includes('\u0000')) return 'wildcards are not allowed in a topic';
  if (topic.startsWith('$')) return 'topics starting with $ are reserved for the broker';
  for (const prefix of DISCOVERY_PREFIXES) {
    if (topic === prefix || topic.startsWith(`${prefix}/`)) return `topic is under the ${prefix} discovery prefix`;
  }
  if (topic.startsWith(HUB_ROOT) && !(isDemoDiscovery(configTopic) && topic.startsWith(`${DEMO_ROOT}/`))) return 'topic is reserved for the hub';
  return undefined;
}

/**
 * Every topic a (expanded) discovery config names: each `*_topic` / `topic` string and each
 * availability entry's topic, as [key, topic] pairs.
 */
export function topicsOfConfig(cfg: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(cfg)) {
    if ((k === 'topic' || k.endsWith('_topic')) && typeof v === 'string') out.push([k, v]);
  }
  const avty = cfg.availability;
  if (Array.isArray(avty)) {
    avty.forEach((a, i) => {
      if (a && typeof a === 'object' && typeof (a as { topic?: unknown }).topic === 'string')
        out.push([`availability.${i}.topic`, (a as { topic: string }).topic]);
    });
  }
  return out;
}

/** The first topic of a config an entity may not use, with its key and why; undefined when all are fine. */
export function configTopicProblem(cfg: Record<string, unknown>, configTopic: string): { key: string; topic: string; problem: string } | undefined {
  for (const [key, topic] of topicsOfConfig(cfg)) {
    const problem = entityTopicProblem(topic, configTopic);
    if (problem) return { key, topic, problem };
  }
  return undefined;
}
