import { ApiError } from '../api/client';

/** An error as a person reads it: one sentence, and the code and the API's words for a details line. */
export interface PlainError {
  sentence: string;
  code?: string;
  /** The API's own message, when it differs from the sentence. */
  detail?: string;
  /** The input it concerns (`url`, `homeassistant.url`), when the API named one. */
  field?: string;
}

/** Sentences for the codes a homeowner meets; the rest read the API's message, first letter up. */
const SENTENCES: Record<string, string> = {
  NETWORK: 'The hub did not answer. Is it running, and is this device on the home network?',
  UNAUTHENTICATED: 'You are signed out. Sign in again.',
  ROLE_REQUIRED: "Your account can't do this; ask the home's owner.",
  FORBIDDEN: "Your account can't do this; ask the home's owner.",
  PIN_INVALID: 'That PIN is not right. Try again.',
  PIN_LOCKED: 'Too many wrong PINs: wait a little, then try again.',
  PIN_REQUIRED: 'Type your PIN to confirm.',
  NO_APPROVER: 'No one can approve this yet: add a second approver under People, or ask an owner.',
  ENTITY_UNAVAILABLE: 'That device is not answering right now. Check that it is on and in reach.',
  STORAGE_FULL: "The hub's disk is full; nothing was saved. Free some space.",
  BODY_TOO_LARGE: 'That is too large for the hub to take.',
  INTERNAL: 'Something went wrong inside the hub. It has been logged; try again.',
};

const POLICY_CODES = new Set(['ROLE_NOT_ALLOWED', 'ORIGIN_FORBIDDEN', 'PROPOSER_FORBIDDEN']);

/** "body.homeassistant.url: Invalid URL" → field `homeassistant.url`, words "Invalid URL". */
function validationWords(message: string): { field?: string; words: string } {
  const m = /^(?:body|settings key ")?\.?([a-z0-9_.]+)"?(?:: | has value [^:]*: )(.*)$/i.exec(message.split('; ')[0] ?? message);
  return m ? { field: m[1], words: m[2]! } : { words: message };
}

const upper = (s: string) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);
const stop = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);

export function plainError(err: unknown): PlainError {
  if (!(err instanceof ApiError)) return { sentence: stop(upper(err instanceof Error ? err.message : String(err))) };
  const field = err.field;
  const known = SENTENCES[err.code];
  if (known) return { sentence: known, code: err.code, detail: err.message !== known ? err.message : undefined, field };
  // A refusal by the policy: who refused (the home's rules, which its owner sets) and why.
  if (POLICY_CODES.has(err.code)) return { sentence: `The home's rules say no: ${stop(err.message)} Ask the home's owner if that is wrong.`, code: err.code };
  if (err.code === 'VALIDATION_FAILED' || err.code === 'INVALID_SETTINGS') {
    const v = validationWords(err.message);
    return { sentence: `Check this: ${stop(v.words.replace(/^Invalid input: /, ''))}`, code: err.code, detail: err.message, field: field ?? v.field };
  }
  return { sentence: stop(upper(err.message)), code: err.code, field };
}

/** Whether `err` concerns the input `name` (its `field` is the name, or ends with `.name`). */
export function isAbout(err: unknown, name: string): boolean {
  const f = plainError(err).field;
  return !!f && (f === name || f.endsWith(`.${name}`) || name.endsWith(`.${f}`));
}

/**
 * A failed connection test in a homeowner's words, and the field it concerns: the address when
 * the host could not be found or reached, the token when it was refused.
 */
export function plainConnection(detail: string): { sentence: string; field?: string } {
  const host = /(?:wss?|https?|mqtts?):\/\/([^/:\s]+)/.exec(detail)?.[1];
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(detail))
    return { sentence: `Hearth can't find ${host ?? 'that address'} on the network — try its IP address (such as 192.168.1.20).`, field: 'url' };
  if (/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|timed out|timeout|cannot reach/i.test(detail))
    return { sentence: `Hearth can't reach ${host ?? 'that address'} — check the address and port, or try its IP address.`, field: 'url' };
  if (/certificate|self[- ]signed|TLS/i.test(detail))
    return { sentence: `The secure connection to ${host ?? 'that address'} could not be verified.`, field: 'url' };
  if (/auth|token|401|403|unauthori[sz]ed|invalid/i.test(detail)) return { sentence: 'The address answered, but it did not accept the token.', field: 'token' };
  return { sentence: stop(upper(detail)) };
}

/**
 * One error split over a form: `at(name)` is the error for the field it concerns, `rest` the
 * error when no field of the form claims it (shown under the form instead).
 */
export function fieldErrors(error: unknown, names: readonly string[]): { at: (name: string) => unknown; rest: unknown } {
  const owner = error ? names.find((n) => isAbout(error, n)) : undefined;
  return { at: (name) => (name === owner ? error : undefined), rest: owner ? undefined : error };
}
