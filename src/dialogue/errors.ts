import { defineErrors } from '../core/errors.js';

/** The dialogue part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const dialogueErrors = defineErrors({
  RATE_LIMITED: 429,
});
