import { z } from 'zod';

export const twilioSection = z
  .strictObject({
    account_sid: z.string().min(1).optional().describe('Twilio account SID.'),
    auth_token: z.string().min(1).optional().describe('Twilio auth token; also verifies webhook signatures.').meta({ secret: true }),
    from: z.string().min(1).optional().describe('The Twilio number calls and SMS come from (E.164).'),
  })
  .describe('Telephony through Twilio (off unless account_sid and auth_token are set).');
