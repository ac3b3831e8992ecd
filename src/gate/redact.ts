import type { Action, Envelope } from './model.js';

/** Param names that look like secrets: a lock's code, a PIN, a password, a token, an API key. */
const SECRET_PARAM = /code|pin|pass|secret|token|key/i;
/** One more than the gate lets params nest (16): past it, the rest is hidden rather than walked. */
const MAX_DEPTH = 17;

/**
 * A copy of a value with every secret-looking key's value replaced by `[redacted]`, at any
 * depth and inside arrays (`{"options": {"code": "4242"}}` too). Beyond `MAX_DEPTH` the rest is
 * redacted whole: a value built to be walked forever is not walked.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[redacted]';
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // defineProperty, not assignment: a key named __proto__ stays a plain key of the copy.
    Object.defineProperty(out, k, {
      value: SECRET_PARAM.test(k) ? '[redacted]' : redactSecrets(v, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Params such as a lock's code stay out of the trail (it is kept for years and leaves the home through the link). */
export function forAudit(action: Action): Action {
  return { ...action, params: redactSecrets(action.params) as Action['params'] };
}

/** An envelope as people see it (API, event stream): secret-looking params hidden like in the trail. */
export function redactEnvelope(e: Envelope): Envelope {
  return { ...e, action: forAudit(e.action) };
}
