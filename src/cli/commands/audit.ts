import { EXIT, FatalError } from '../../core/errors.js';
import { csvHeader, csvLine } from '../../audit/trail.js';
import { openStoreForCli } from '../open-store.js';
import { parse, settingsOptions } from '../args.js';

export const auditHelp = [
  'hearth audit verify [--data DIR]                 check the hash chain (exit 0 intact, 1 broken)',
  'hearth audit export --format csv|jsonl [--data DIR]   write the trail to stdout',
].join('\n');

export async function auditCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, { ...settingsOptions, format: { type: 'string', default: 'csv' } });
  const { store, audit } = openStoreForCli(values);
  try {
    if (sub === 'verify') {
      const result = audit.verify();
      if (result.ok) {
        process.stdout.write(`audit trail intact: ${result.count} entries${result.head ? `, head ${result.head.hash.slice(0, 16)}…` : ''}\n`);
        return EXIT.ok;
      }
      process.stdout.write(`audit trail BROKEN at entry ${result.broken.seq}: ${result.broken.reason} (${result.count} entries before it are intact)\n`);
      return EXIT.failure;
    }
    if (sub === 'export') {
      const format = values.format;
      if (format !== 'csv' && format !== 'jsonl') throw new FatalError(`--format must be csv or jsonl, not ${format}`, EXIT.usage);
      if (format === 'csv') await write(csvHeader());
      for (const entry of audit.iterate()) await write(format === 'csv' ? csvLine(entry) : `${JSON.stringify(entry)}\n`);
      return EXIT.ok;
    }
    throw new FatalError(`unknown audit command "${sub ?? ''}"\n${auditHelp}`, EXIT.usage);
  } finally {
    store.close();
  }
}

function write(text: string): Promise<void> | void {
  if (process.stdout.write(text)) return;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}
