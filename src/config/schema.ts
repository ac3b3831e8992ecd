import { z } from 'zod';
import { hubSection } from './sections/hub.js';
import { httpSection } from './sections/http.js';
import { mqttSection } from './sections/mqtt.js';
import { homeassistantSection } from './sections/homeassistant.js';
import { telegramSection } from './sections/telegram.js';
import { notifySection } from './sections/notify.js';
import { twilioSection } from './sections/twilio.js';
import { linkSection } from './sections/link.js';
import { llmSection } from './sections/llm.js';
import { policySection } from './sections/policy.js';
import { relaySection } from './sections/relay.js';
import { retentionSection } from './sections/retention.js';
import { usageSection } from './sections/usage.js';
import { mdnsSection } from './sections/mdns.js';
import { watchSection } from './sections/watch.js';
import { backupsSection } from './sections/backups.js';

/** Bump when a setting is renamed or reshaped, and add a step to `migrate.ts`. */
export const SETTINGS_VERSION = 1;

/**
 * The one schema of every setting. Each section lives in `sections/`; a part reads its
 * section through `Settings['<part>']`, never a type written by hand.
 */
export const settingsSchema = z.strictObject({
  settings_version: z.literal(SETTINGS_VERSION).default(SETTINGS_VERSION).describe('Version of this settings layout.'),
  hub: hubSection.prefault({}),
  http: httpSection.prefault({}),
  mqtt: mqttSection.prefault({}),
  homeassistant: homeassistantSection.prefault({}),
  telegram: telegramSection.prefault({}),
  notify: notifySection.prefault({}),
  twilio: twilioSection.prefault({}),
  link: linkSection.prefault({}),
  llm: llmSection.prefault({}),
  policy: policySection.prefault({}),
  relay: relaySection.prefault({}),
  retention: retentionSection.prefault({}),
  usage: usageSection.prefault({}),
  mdns: mdnsSection.prefault({}),
  watch: watchSection.prefault({}),
  backups: backupsSection.prefault({}),
});

export type Settings = z.output<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type SectionName = Exclude<keyof Settings, 'settings_version'>;
