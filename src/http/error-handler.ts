import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { HearthError } from '../core/errors.js';
import { own } from '../core/own.js';

export interface ErrorBody {
  /** `field`: the input the error concerns (a dotted path in the body, such as `homeassistant.url`), when there is one. */
  error: { code: string; message: string; details?: unknown; field?: string };
}

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_CONTENT_LENGTH'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'EMPTY_BODY'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'MALFORMED_JSON'],
  FST_ERR_CTP_INVALID_TYPE: [400, 'BAD_CONTENT_TYPE'],
  FST_ERR_VALIDATION: [400, 'VALIDATION_FAILED'],
};

/**
 * The one error shape, `{"error": {"code", "message"}}`. Anything the client did wrong is a
 * 4xx with a stable code; only our own faults are 5xx, and those are logged.
 */
export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof HearthError) {
    return reply.status(err.status).send(body(err.code, err.message, err.details, err.field));
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'request';
    const first = err.validation[0]?.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const issues = err.validation.map((v) => {
      const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const params = v.params as { issue?: { code?: string; keys?: string[] } } | undefined;
      const keys = params?.issue?.code === 'unrecognized_keys' ? ` (${params.issue.keys?.join(', ')})` : '';
      return `${where}${path ? `.${path}` : ''}: ${v.message}${keys}`;
    });
    return reply.status(400).send(body('VALIDATION_FAILED', issues.join('; '), undefined, where === 'body' && first ? first : undefined));
  }
  if (isResponseSerializationError(err)) {
    request.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
    return reply.status(500).send(body('INTERNAL', 'The hub produced an invalid response'));
  }
  const known = err.code ? own(FASTIFY_CODES, err.code) : undefined;
  if (known) return reply.status(known[0]).send(body(known[1], err.message));
  if ((err as { code?: string }).code === 'SQLITE_FULL') {
    request.log.error({ err }, 'disk full');
    return reply.status(507).send(body('STORAGE_FULL', "The hub's disk is full; nothing was saved. Free some space."));
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return reply.status(err.statusCode).send(body(err.code ?? 'BAD_REQUEST', err.message));
  }
  request.log.error({ err }, 'request failed');
  return reply.status(500).send(body('INTERNAL', 'Something went wrong inside the hub; it has been logged'));
}

export const body = (code: string, message: string, details?: unknown, field?: string): ErrorBody => ({
  error: { code, message, ...(details === undefined ? {} : { details }), ...(field ? { field } : {}) },
});
