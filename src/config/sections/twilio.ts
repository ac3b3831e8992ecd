import { z } from 'zod';

export const twilioSection = z
  .strictObject({
    account_sid: z.string().min(1).optional().describe('Twilio account SID.'),
    auth_token: z.string().min(1).optional().describe('Twilio auth token; also verifies webhook signatures.').meta({ secret: true }),
    from: z.string().min(1).optional().describe('The Twilio number calls and SMS come from (E.164).'),
    public_url: z
      .url()
      .optional()
      .describe(
        "Base URL at which Twilio reaches this hub's webhooks (<public_url>/hooks/twilio/...): the hub's own public URL, or the relay's hooks URL for this hub.",
      ),
    api_root: z.url().default('https://api.twilio.com').describe('Where the twilio library sends its REST calls (tests point it at a fake on loopback).'),
    ring_seconds: z.number().int().min(25).max(30).default(28).describe('How long a check-in call rings before it counts as not answered.'),
  })
  .describe('Telephony through Twilio (off unless account_sid and auth_token are set).');
