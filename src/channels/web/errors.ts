import { defineErrors } from '../../core/errors.js';

/** The channels/web part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const webErrors = defineErrors({
  TOO_MANY_STREAMS: 503,
});
