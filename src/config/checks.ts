import { openSync, readSync, closeSync } from 'node:fs';
import { errorMessage } from '../core/errors.js';
import type { SectionName, Settings } from './schema.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';
/** One line of `hearth doctor`; each detail must be safe to show an engineer: never a secret. */
export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
}

/**
 * A check of one settings section, declared by the part that owns it (`checks` in its
 * `definePart`). One registry serves `hearth doctor`, the first-run "test connection" and
 * support diagnostics. A check skips when its section is not filled in, and never throws.
 */
export interface SettingsCheck {
  /** The check's name in doctor's output and the section it reads. */
  readonly section: SectionName;
  /** An outside service the owner may try from the settings page before saving (`POST /settings/test-connection`). */
  readonly connection?: boolean;
  run(settings: Settings, timeoutMs: number): Promise<CheckResult> | CheckResult;
}

export const checkResult = (check: string, status: CheckStatus, detail: string): CheckResult => ({ check, status, detail });

/** Takes a secret out of a message that may quote it (a URL with a bot token). */
export const scrub = (text: string, secret: string): string => text.split(secret).join('[redacted]');

// The check below belongs to the inference part; it moves into that part's `checks` next.

export const llmCheck: SettingsCheck = {
  section: 'llm',
  run(settings) {
    const name = 'llm';
    const path = settings.llm.model_path;
    if (!path) return checkResult(name, 'skip', 'no local model configured');
    try {
      const fd = openSync(path, 'r');
      const magic = Buffer.alloc(4);
      readSync(fd, magic, 0, 4, 0);
      closeSync(fd);
      if (magic.toString('latin1') !== 'GGUF') return checkResult(name, 'fail', `${path} is not a GGUF model file`);
      return checkResult(name, 'ok', `${path} is a GGUF file`);
    } catch (err) {
      return checkResult(name, 'fail', `${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
    }
  },
};
