import { createRequire } from 'node:module';
import type twilio from 'twilio';

export type TwilioLib = typeof twilio;

const requireFromHere = createRequire(import.meta.url);
let lib: TwilioLib | undefined;

/**
 * The twilio library, loaded on first use. With its own dependencies (axios, jsonwebtoken,
 * xmlbuilder …) it is some 760 files and ~30 MB of memory once loaded, and bundled it was 7 MB
 * of JavaScript compiled at every start: a hub without telephony never needs it. It stays out of
 * the bundle (scripts/bundle.config.mjs) so that this load can be synchronous: the webhooks build
 * TwiML inside their replay transaction. The first use pays ~0.2–0.3 s, once.
 */
export function twilioLib(): TwilioLib {
  return (lib ??= requireFromHere('twilio') as TwilioLib);
}

/** Whether anything has needed the library yet (tests/checkins/lazy-twilio.test.ts). */
export function twilioLoaded(): boolean {
  return lib !== undefined;
}
