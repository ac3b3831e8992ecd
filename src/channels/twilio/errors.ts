import { defineErrors } from '../../core/errors.js';

/** The channels/twilio part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const twilioErrors = defineErrors({
  TWILIO_NOT_READY: 409,
  TWILIO_NOT_CONFIGURED: 409,
});
