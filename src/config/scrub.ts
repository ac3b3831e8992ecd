import type { Settings } from './schema.js';
import { settingLeaves } from './introspect.js';

/**
 * Taking secrets out of free text: what reaches a language model's prompt (inference) and what
 * leaves the home in support diagnostics (the log book's lines).
 */

/** Tokens and keys that must never reach a model nor leave the home, even if a person typed them. */
const TOKEN_PATTERNS: RegExp[] = [
  /\b\d{6,12}:[A-Za-z0-9_-]{20,}\b/g, // Telegram bot tokens
  /\b(?:sk|pk|rk|xox[abp]|ghp|gho|glpat|hf)[-_][A-Za-z0-9_-]{10,}\b/gi, // API keys by their usual prefixes
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, // JWTs (Home Assistant long-lived tokens)
  /\b(?=[A-Za-z0-9+/_-]*\d)(?=[A-Za-z0-9+/_-]*[A-Za-z])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9])/g, // any long opaque string of letters and digits
];
/** …and PIN-like words and numbers, which a prompt must not carry but a log line (ports, counts) may. */
const PIN_PATTERNS: RegExp[] = [
  /\b(?:pin|code|password|passcode|pass)\b[\s:=#-]*\S+/gi, // "PIN 4821", "code: 1234", "password hunter2"
  /(?<![\d.,])\d{4,8}(?![\d.,])/g, // bare 4–8 digit numbers (PINs); temperatures and percentages are shorter
];

/** The secret settings' values (tokens, passwords, keys), so that none is ever quoted. */
export function secretValues(settings: Settings): string[] {
  const out: string[] = [];
  const doc = settings as unknown as Record<string, Record<string, unknown>>;
  for (const leaf of settingLeaves()) {
    if (!leaf.secret) continue;
    const [section, key] = leaf.key.split('.') as [string, string];
    const v = doc[section]?.[key];
    if (typeof v === 'string' && v.length >= 4) out.push(v);
  }
  return out;
}

/** Removes known secret values and anything shaped like a token, key or PIN. */
export function scrubSecrets(text: string, secrets: readonly string[] = [], options: { pins?: boolean } = {}): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[removed]');
  for (const re of TOKEN_PATTERNS) out = out.replace(re, '[removed]');
  if (options.pins !== false) for (const re of PIN_PATTERNS) out = out.replace(re, '[removed]');
  return out;
}
