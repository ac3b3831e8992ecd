import { defineErrors } from '../core/errors.js';

/** The devices part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const devicesErrors = defineErrors({
  DEMO_OFF: 409,
  NOT_FOUND: 404,
  DEVICE_TOPIC_RESERVED: 409,
  UNSUPPORTED_OPERATION: 400,
  NOT_COMMANDABLE: 409,
  COMMAND_TEMPLATE: 409,
  INVALID_PARAMS: 400,
  UNSUPPORTED_PARAMS: 400,
  CODE_REQUIRED: 400,
  WRONG_CODE: 403,
  HA_NOT_CONNECTED: 503,
  HA_SERVICE_FAILED: 502,
  HA_BAD_URL: 400,
  WRONG_ADAPTER: 400,
  BAD_OPERATION: 400,
  BAD_PARAMS: 400,
});
