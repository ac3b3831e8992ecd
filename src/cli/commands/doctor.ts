import { EXIT } from '../../core/errors.js';
import { runDoctor } from '../../hub/doctor.js';
import { parse, settingsOptions } from '../args.js';

export { runDoctor, type DoctorOptions, type DoctorResult, type CheckStatus } from '../../hub/doctor.js';

export const doctorHelp = 'hearth doctor [--config FILE] [--data DIR] [--json]   check settings, database, disk, ports and connections';

const LABEL: Record<string, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: '-   ' };

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...settingsOptions, json: { type: 'boolean' } });
  const results = await runDoctor({ config: values.config, data: values.data });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const width = Math.max(...results.map((r) => r.check.length));
    for (const r of results) process.stdout.write(`${LABEL[r.status]}  ${r.check.padEnd(width)}  ${r.detail}\n`);
  }
  const first = results.find((r) => r.status === 'fail');
  if (!first) {
    const warnings = results.filter((r) => r.status === 'warn').length;
    process.stdout.write(`doctor: no problems${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}\n`);
    return EXIT.ok;
  }
  const count = results.filter((r) => r.status === 'fail').length;
  process.stderr.write(`hearth doctor: ${count} problem${count > 1 ? 's' : ''}; first: ${first.check}: ${first.detail}\n`);
  return first.check === 'settings' ? EXIT.config : EXIT.failure;
}
