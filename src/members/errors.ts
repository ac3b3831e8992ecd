import { defineErrors } from '../core/errors.js';

/** The members part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const membersErrors = defineErrors({
  SETUP_CODE_INVALID: 403,
  WEAK_PASSWORD: 400,
  PIN_LOCKED: 429,
  CURRENT_PASSWORD_REQUIRED: 400,
  RATE_LIMITED: 429,
  CURRENT_PASSWORD_WRONG: 403,
  INVALID_TELEGRAM_USER: 400,
  PAIRING_CODE_INVALID: 403,
  PAIRING_CODE_EXPIRED: 403,
  USERNAME_TAKEN: 409,
  /** A body that is not what the route takes (the same code as schema failures), with `field` set. */
  VALIDATION_FAILED: 400,
});
