/**
 * Errors with stable codes. The HTTP layer turns a HearthError into
 * `{"error": {"code", "message"}}` with its status; the CLI turns it into an exit code.
 */
export class HearthError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: string, message: string, status = 400, details?: unknown) {
    super(message);
    this.name = 'HearthError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export const notFound = (what: string, id?: string): HearthError =>
  new HearthError('NOT_FOUND', id ? `${what} ${id} was not found` : `${what} was not found`, 404);

export const forbidden = (message = 'You are not allowed to do that', code = 'FORBIDDEN'): HearthError => new HearthError(code, message, 403);

export const unauthorized = (message = 'Sign in first', code = 'UNAUTHENTICATED'): HearthError => new HearthError(code, message, 401);

export const conflict = (code: string, message: string): HearthError => new HearthError(code, message, 409);

/** A part's error codes, each with its HTTP status, and the one way to make them. */
export interface PartErrors<C extends string> {
  readonly statuses: Readonly<Record<C, number>>;
  error(code: C, message: string, details?: unknown): HearthError;
}

/**
 * Defines a part's error codes once, in its own `errors.ts` (as Fastify's `FST_ERR_*`):
 * `export const linkErrors = defineErrors({ NO_GRANT: 403, SUPPORT_REFUSED: 403 })`, then
 * `throw linkErrors.error('NO_GRANT', 'no support grant is active')`. Clients switch on the code,
 * so a code is never renamed; the type stops a typo.
 */
export function defineErrors<const T extends Record<string, number>>(statuses: T): PartErrors<keyof T & string> {
  return { statuses, error: (code, message, details) => new HearthError(code, message, statuses[code], details) };
}

/** The core part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const coreErrors = defineErrors({
  SEALED_INVALID: 400,
  NOT_READY: 409,
  /** A support maintenance step on a target no part owns. */
  MAINTENANCE_UNKNOWN_TARGET: 404,
  /** A support maintenance step that ran but had no effect it could observe. */
  MAINTENANCE_NO_EFFECT: 409,
});

/** Exit codes from sysexits.h, so that systemd and scripts can tell failures apart. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 64,
  dataErr: 65,
  unavailable: 69,
  software: 70,
  cantCreate: 73,
  ioErr: 74,
  tempFail: 75,
  config: 78,
} as const;

/** A failure that should end the process with a clear one-line message and no stack trace. */
export class FatalError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure) {
    super(message);
    this.name = 'FatalError';
    this.exitCode = exitCode;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
