import { defineErrors } from '../core/errors.js';

/** The checkins part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const checkinsErrors = defineErrors({
  NO_PHONE: 400,
  NOT_FOUND: 404,
  /** A body naming a member who is not there is a bad body like any other (UNKNOWN_MEMBER is the gate's 403: a request from no member it knows). */
  VALIDATION_FAILED: 400,
  NOT_CONFIGURED: 409,
});
