import { EXIT, FatalError } from '../core/errors.js';

export const MIN_PASSPHRASE = 10;

/**
 * The backup passphrase: HEARTH_BACKUP_PASSPHRASE, or asked on a terminal with no echo.
 * Never from a command-line flag (it would show in `ps` and shell history).
 */
export async function readPassphrase(options: { confirm: boolean; env?: NodeJS.ProcessEnv }): Promise<string> {
  const env = options.env ?? process.env;
  let passphrase = env.HEARTH_BACKUP_PASSPHRASE;
  if (passphrase === undefined) {
    if (!process.stdin.isTTY) {
      throw new FatalError('no passphrase: set HEARTH_BACKUP_PASSPHRASE, or run this on a terminal to be asked for one', EXIT.usage);
    }
    passphrase = await askHidden('Backup passphrase: ');
    if (options.confirm) {
      const again = await askHidden('Same passphrase again: ');
      if (again !== passphrase) throw new FatalError('the two passphrases differ; nothing was written', EXIT.usage);
    }
  }
  if (passphrase.length < MIN_PASSPHRASE) {
    throw new FatalError(`the backup passphrase must be at least ${MIN_PASSPHRASE} characters${passphrase.length === 0 ? ' (it is empty)' : ''}`, EXIT.usage);
  }
  return passphrase;
}

/** Reads one line from the terminal in raw mode, so the secret is never echoed (also `hearth members`). */
export function askHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new FatalError('cancelled', EXIT.failure)); // Ctrl-C
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
