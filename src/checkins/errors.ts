import { defineErrors } from '../core/errors.js';

/** The checkins part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const checkinsErrors = defineErrors({
  UNKNOWN_MEMBER: 400,
  NO_PHONE: 400,
  NOT_FOUND: 404,
  VALIDATION_FAILED: 400,
  NOT_CONFIGURED: 409,
});
