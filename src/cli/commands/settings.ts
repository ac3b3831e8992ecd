import { EXIT, FatalError } from '../../core/errors.js';
import { systemClock } from '../../core/clock.js';
import { AuditTrail } from '../../audit/trail.js';
import { DataDirLock } from '../../store/lock.js';
import { settingLeaves } from '../../config/introspect.js';
import { getPath, type PlainObject } from '../../config/merge.js';
import { parse, settingsOptions } from '../args.js';
import { dataDirFrom, openExistingDb, osActor } from '../data-dir.js';

export const settingsHelp = 'hearth settings reset [--data DIR]                clear the settings changed at run time (the hub must be stopped)';

export async function settingsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, settingsOptions);
  if (sub !== 'reset') throw new FatalError(`usage:\n${settingsHelp}`, EXIT.usage);
  const dataDir = dataDirFrom(values);
  // A running hub keeps the overrides in memory and would write them back on its next change.
  const lock = new DataDirLock(dataDir);
  const db = openExistingDb(dataDir);
  try {
    lock.acquire();
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings_overrides'").get();
    const row = hasTable ? (db.prepare('SELECT doc FROM settings_overrides WHERE id = 1').get() as { doc: string } | undefined) : undefined;
    if (!row) {
      process.stdout.write('no run-time settings to clear\n');
      return EXIT.ok;
    }
    let keys: string[] = [];
    try {
      const doc = JSON.parse(row.doc) as PlainObject;
      keys = settingLeaves()
        .map((l) => l.key)
        .filter((k) => getPath(doc, k.split('.')) !== undefined);
    } catch {
      keys = ['(unreadable document)'];
    }
    const audit = new AuditTrail(db, systemClock);
    audit.withEntry({ actor: osActor(), origin: 'cli', kind: 'settings.reset', data: { cleared: keys } }, () =>
      db.prepare('DELETE FROM settings_overrides WHERE id = 1').run(),
    );
    process.stdout.write(`cleared the run-time settings${keys.length ? `: ${keys.join(', ')}` : ''}; the file and environment apply again\n`);
    return EXIT.ok;
  } finally {
    db.close();
    lock.release();
  }
}
