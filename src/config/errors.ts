import { EXIT, FatalError } from '../core/errors.js';
import { defineErrors } from '../core/errors.js';

/** A settings problem: start-up stops with exit code 78 (EX_CONFIG) and this message. */
export class ConfigError extends FatalError {
  constructor(message: string) {
    super(message, EXIT.config);
    this.name = 'ConfigError';
  }
}

/** The config part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const configErrors = defineErrors({
  INVALID_SETTINGS: 400,
  SETTING_FIXED: 400,
});
