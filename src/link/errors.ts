import { defineErrors } from '../core/errors.js';

/** The link part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const linkErrors = defineErrors({
  SUPPORT_REFUSED: 403,
  VALIDATION_FAILED: 400,
});
