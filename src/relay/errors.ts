import { defineErrors } from '../core/errors.js';

/** The relay part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const relayErrors = defineErrors({
  TOO_MANY_ATTEMPTS: 429,
  NO_GRANT: 403,
});
