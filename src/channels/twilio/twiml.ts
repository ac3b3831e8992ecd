import type twilio from 'twilio';
import { twilioLib } from './lib.js';

type Voice = InstanceType<typeof twilio.twiml.VoiceResponse>;
type SayLanguage = Parameters<Voice['say']>[0] extends infer A ? (A extends { language?: infer L } ? L : never) : never;

/** A spoken reply built with the library's VoiceResponse: say each line, then hang up. */
export function sayAndHangUp(lines: string[], language = 'en-GB'): string {
  const r = new (twilioLib().twiml.VoiceResponse)();
  for (const line of lines) r.say({ language: language as SayLanguage }, line);
  r.hangup();
  return r.toString();
}

/**
 * Says the prompt inside a <Gather> of one key or speech; Twilio posts the answer to `action`,
 * also when nothing was heard (actionOnEmptyResult), so silence is a result like any other.
 */
export function ask(lines: string[], action: string, language = 'en-GB', hints?: string): string {
  const r = new (twilioLib().twiml.VoiceResponse)();
  const g = r.gather({
    input: ['speech', 'dtmf'],
    numDigits: 1,
    timeout: 6,
    speechTimeout: 'auto',
    action,
    method: 'POST',
    actionOnEmptyResult: true,
    language: language as never,
    ...(hints ? { hints } : {}),
  });
  for (const line of lines) g.say({ language: language as SayLanguage }, line);
  return r.toString();
}
