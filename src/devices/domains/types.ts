import type { z } from 'zod';

/**
 * What the hub knows about one device domain, in one place: the operations (named as Home
 * Assistant's services) with their params and the state that proves each took effect, the
 * gate's default risks, the rule parser's words, the MQTT command payloads and the control
 * the web UI draws. Everything below the gate and above it reads these descriptions; none of
 * them imports anything but zod, so every layer may.
 */

export type Risk = 'low' | 'medium' | 'high' | 'critical';

/**
 * Verbs as the rule parser reads them, before a domain picks the operation ("open" is
 * open_cover for a garage, unlock for a lock).
 */
export type AbstractAction =
  'on' | 'off' | 'toggle' | 'open' | 'close' | 'lock' | 'unlock' | 'arm_away' | 'arm_home' | 'arm_night' | 'disarm' | 'set' | 'dim' | 'stop';

/**
 * The control the web UI draws for an entity: `toggle` (a switch), `dimmer` (a switch and a
 * brightness slider when the light has one), `lock` (lock/unlock), `open_close` (two buttons),
 * `alarm` (arm away, arm home, disarm), `thermostat` (target −/+), `press` and `activate`
 * (one button), `reading` (the value only).
 */
export type ControlKind = 'toggle' | 'dimmer' | 'lock' | 'open_close' | 'alarm' | 'thermostat' | 'press' | 'activate' | 'reading';

export interface OperationDescription {
  /** The params the operation takes (every key optional unless the device needs it). */
  params: z.ZodType<Record<string, unknown>>;
  /** The entity state that confirms the effect; a function of the params and the state before, when it depends on them. */
  expect?: string | ((params: Record<string, unknown>, stateBefore: string) => string | undefined);
  /** The gate's default risk for this operation; else the domain's. */
  risk?: Risk;
  /**
   * MQTT (Home Assistant discovery): the config key of the payload this operation publishes and
   * its default when the config has none (`['payload_lock', 'LOCK']`).
   */
  mqttPayload?: readonly [key: string, fallback: string];
}

export interface DomainDescription {
  /** The domain's name, as the first half of an entity id. */
  name: string;
  operations: Record<string, OperationDescription>;
  /** The gate's default risk for operations without one; none: the gate's fallback (medium). */
  risk?: Risk;
  /** Default risks by device class (`cover` with device class `garage` is `cover:garage` in the policy). */
  riskByDeviceClass?: Record<string, Record<string, Risk>>;
  /** The rule parser's words: nouns that name things of this domain, and the operation each abstract verb means here. */
  words?: {
    nouns?: readonly string[];
    actions?: Partial<Record<AbstractAction, string>>;
    /** The yes/no states a question may ask about it ("is the front door locked?"), and those only some device classes have. */
    states?: readonly string[];
    statesByDeviceClass?: Record<string, readonly string[]>;
  };
  /**
   * MQTT discovery: whether the hub models this component, and the config keys (first found)
   * of the topic its state comes back on; without one the entity runs optimistically.
   */
  mqtt?: { component: true; stateTopics?: readonly string[] };
  /** Home Assistant: the service domain when it is not the domain's name (services are named as the operations). */
  ha?: { serviceDomain?: string };
  /** The web UI: the control it draws and the group the entity goes into on Home. */
  ui: { control?: ControlKind; group: string };
}

/** A description, checked by the compiler and kept literal. */
export function defineDomain<const D extends DomainDescription>(d: D): D {
  return d;
}
