import { EXIT, FatalError } from '../core/errors.js';

/** A settings problem: start-up stops with exit code 78 (EX_CONFIG) and this message. */
export class ConfigError extends FatalError {
  constructor(message: string) {
    super(message, EXIT.config);
    this.name = 'ConfigError';
  }
}
