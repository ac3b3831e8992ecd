import { defineErrors } from '../core/errors.js';

/** The workflows part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const workflowsErrors = defineErrors({
  WORKFLOW_INVALID: 400,
  WORKFLOW_BUSY: 409,
});
