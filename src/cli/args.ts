import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, FatalError } from '../core/errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with our exit code for usage errors. */
export function parse<T extends Options>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new FatalError(`${(err as Error).message}\nRun \`hearth help\` for usage.`, EXIT.usage);
  }
}

/** The options every command that reads settings accepts. */
export const settingsOptions = {
  config: { type: 'string', short: 'c' },
  data: { type: 'string', short: 'd' },
} as const satisfies Options;

export function flagsFrom(values: { data?: string | boolean; demo?: string | boolean }): Record<string, unknown> {
  const hub: Record<string, unknown> = {};
  if (typeof values.data === 'string') hub.data_dir = values.data;
  if (values.demo === true) hub.demo = true;
  return Object.keys(hub).length ? { hub } : {};
}
