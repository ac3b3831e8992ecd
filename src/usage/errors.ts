import { defineErrors } from '../core/errors.js';

/** The usage part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const usageErrors = defineErrors({
  USAGE_CAP_REACHED: 429,
});
