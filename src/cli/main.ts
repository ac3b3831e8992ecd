import { EXIT, FatalError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { own } from '../core/own.js';
type Run = (argv: string[]) => Promise<number>;
type Command = { load: () => Promise<{ run: Run; help: string }> };

/**
 * Each hub-wide command lives in its own file under commands/; a part's commands are in its
 * `definePart` (`cli`). They are imported only when run, so `hearth start` does not load the relay (and its MQTT client) or the backup code.
 */
const commands: Record<string, Command> = {
  start: { load: async () => pick(await import('./commands/start.js'), 'startCommand', 'startHelp') },
  audit: { load: async () => pick(await import('./commands/audit.js'), 'auditCommand', 'auditHelp') },
  doctor: { load: async () => pick(await import('./commands/doctor.js'), 'doctorCommand', 'doctorHelp') },
  backup: { load: async () => pick(await import('./commands/backup.js'), 'backupCommand', 'backupHelp') },
  settings: { load: async () => pick(await import('./commands/settings.js'), 'settingsCommand', 'settingsHelp') },
  members: { load: async () => pick(await import('./commands/members.js'), 'membersCommand', 'membersHelp') },
  approvals: { load: async () => pick(await import('./commands/approvals.js'), 'approvalsCommand', 'approvalsHelp') },
  relay: { load: async () => pick(await import('./commands/relay.js'), 'relayCommand', 'relayHelp') },
  model: { load: async () => pick(await import('./commands/model.js'), 'modelCommand', 'modelHelp') },
  workflows: { load: async () => pick(await import('./commands/workflows.js'), 'workflowsCommand', 'workflowsHelp') },
  update: { load: async () => pick(await import('./commands/update.js'), 'updateCommand', 'updateHelp') },
};

function pick<M extends Record<string, unknown>>(mod: M, run: keyof M, help: keyof M): { run: Run; help: string } {
  return { run: mod[run] as Run, help: mod[help] as string };
}

/** Commands that parts bring (`cli` in their definePart); loading them loads the parts. */
async function partCommands(): Promise<Record<string, Command>> {
  const { partCommands: list } = await import('../hub/parts.js');
  return Object.fromEntries(list.map((c) => [c.name, { load: c.load }]));
}

async function usage(): Promise<string> {
  const all = { ...commands, ...(await partCommands()) };
  const helps = await Promise.all(Object.values(all).map(async (c) => (await c.load()).help));
  return [`hearth ${VERSION}: the home hub`, '', ...helps, 'hearth version', ''].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(await usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === 'version' || name === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = own(commands, name) ?? own(await partCommands(), name);
  if (!command) throw new FatalError(`unknown command "${name}"\n\n${await usage()}`, EXIT.usage);
  return (await command.load()).run(rest);
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
