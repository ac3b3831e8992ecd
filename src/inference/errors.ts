import { defineErrors } from '../core/errors.js';

/** The inference part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const inferenceErrors = defineErrors({
  LLM_NOT_CONFIGURED: 503,
  LLM_REMOTE_FAILED: 502,
  LLM_UNAVAILABLE: 503,
  LLM_BUSY: 503,
  LLM_NO_MEMORY: 503,
  LLM_BAD_MODEL: 400,
  BAD_URL: 400,
  BAD_SHA256: 400,
  MODEL_EXISTS: 409,
  DOWNLOAD_FAILED: 502,
  SHA256_MISMATCH: 422,
});
