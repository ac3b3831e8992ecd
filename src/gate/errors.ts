import { defineErrors } from '../core/errors.js';

/** The gate's stable error codes and their HTTP statuses. Clients switch on the code. */
export const gateErrors = defineErrors({
  APPROVAL_NOT_FOUND: 404,
  APPROVAL_EXPIRED: 409,
  APPROVAL_FINISHED: 409,
  NOT_AN_APPROVER: 403,
  SELF_APPROVAL_FORBIDDEN: 403,
  ALREADY_DECIDED: 409,
  NOT_REQUESTER: 403,
  PIN_REQUIRED: 403,
  PIN_INVALID: 403,
  UNKNOWN_ENTITY: 404,
  UNSUPPORTED_OPERATION: 400,
  INVALID_PARAMS: 400,
  ENTITY_UNAVAILABLE: 409,
  ROLE_NOT_ALLOWED: 403,
  ORIGIN_FORBIDDEN: 403,
  PROPOSER_FORBIDDEN: 403,
  NO_APPROVER: 403,
  UNKNOWN_MEMBER: 403,
});
export const GATE_ERRORS = gateErrors.statuses;
export type GateErrorCode = keyof typeof GATE_ERRORS;
export const gateError = gateErrors.error;

/** The HTTP status of a refusal code (a refusal the gate did not name is a 403). */
export function refusalStatus(code: string): number {
  return (GATE_ERRORS as Record<string, number>)[code] ?? 403;
}
