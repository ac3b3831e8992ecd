import { EXIT, FatalError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { auditCommand, auditHelp } from './commands/audit.js';
import { startCommand, startHelp } from './commands/start.js';
import { doctorCommand, doctorHelp } from './commands/doctor.js';
import { backupCommand, backupHelp } from './commands/backup.js';
import { settingsCommand, settingsHelp } from './commands/settings.js';
import { approvalsCommand, approvalsHelp } from './commands/approvals.js';
import { relayCommand, relayHelp } from './commands/relay.js';

type Command = { run: (argv: string[]) => Promise<number>; help: string };

/** Each command lives in its own file under commands/; add it here. */
const commands: Record<string, Command> = {
  start: { run: startCommand, help: startHelp },
  audit: { run: auditCommand, help: auditHelp },
  doctor: { run: doctorCommand, help: doctorHelp },
  backup: { run: backupCommand, help: backupHelp },
  settings: { run: settingsCommand, help: settingsHelp },
  approvals: { run: approvalsCommand, help: approvalsHelp },
  relay: { run: relayCommand, help: relayHelp },
};

function usage(): string {
  return [`hearth ${VERSION}: the home hub`, '', ...Object.values(commands).map((c) => c.help), 'hearth version', ''].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === 'version' || name === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = commands[name];
  if (!command) throw new FatalError(`unknown command "${name}"\n\n${usage()}`, EXIT.usage);
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof FatalError) {
      process.stderr.write(`hearth: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`hearth: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(EXIT.software);
  },
);
