import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../config/load.js';
import { EXIT, FatalError } from '../../core/errors.js';
import { flagsFrom, parse, settingsOptions } from '../args.js';
import { osActor } from '../data-dir.js';
import { ProcessControl, SystemdControl, type HubControl } from '../update/hub-control.js';
import { runUpdate } from '../update/run.js';

export const updateHelp = [
  'hearth update FILE|URL --sha256 HASH [--prefix DIR] [--timeout SECONDS] [--no-systemd]',
  '                                               install a release beside the current one and switch to it; rolls back by itself if it is not healthy',
].join('\n');

export async function updateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...settingsOptions,
    sha256: { type: 'string' },
    prefix: { type: 'string' },
    timeout: { type: 'string' },
    'no-systemd': { type: 'boolean' },
  });
  const source = positionals[0];
  if (!source || positionals.length > 1) throw new FatalError(`usage:\n${updateHelp}`, EXIT.usage);
  if (!values.sha256 || !/^[0-9a-f]{64}$/i.test(values.sha256))
    throw new FatalError('--sha256 HASH is required: the 64 hex digits published with the release', EXIT.usage);
  const timeoutS = values.timeout === undefined ? 120 : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS < 1 || timeoutS > 3600) throw new FatalError('--timeout is a number of seconds from 1 to 3600', EXIT.usage);

  const { settings } = loadSettings({ file: values.config, flags: flagsFrom(values) });
  if (settings.http.port === 0)
    throw new FatalError('http.port is 0 (any free port): the updater cannot find the hub to check its health; set a port', EXIT.config);
  const host = ['0.0.0.0', '::', ''].includes(settings.http.host) ? '127.0.0.1' : settings.http.host;
  const healthUrl = `http://${host.includes(':') ? `[${host}]` : host}:${settings.http.port}/api/v1/health`;
  const dataDir = resolve(settings.hub.data_dir);
  const prefix = resolve(values.prefix ?? process.env.HEARTH_PREFIX ?? prefixOfThisRelease() ?? '/opt/hearth');
  const passOn = [...(values.config ? ['--config', resolve(values.config)] : []), ...(values.data ? ['--data', resolve(values.data)] : [])];
  const control: HubControl = !values['no-systemd'] && SystemdControl.available() ? new SystemdControl() : new ProcessControl(prefix, dataDir, passOn);

  const result = await runUpdate({
    source: /^https?:\/\//.test(source) ? source : resolve(source),
    sha256: values.sha256,
    prefix,
    dataDir,
    healthUrl,
    control,
    timeoutMs: timeoutS * 1000,
    actor: osActor(),
    say: (line) => process.stdout.write(`==> ${line}\n`),
  });
  if (result.status === 'updated') return EXIT.ok;
  process.stderr.write(`hearth: the update to ${result.to} was rolled back: ${result.reason}\n`);
  return EXIT.software;
}

/** `<prefix>` when this program runs from `<prefix>/releases/<version>/` (the bundle is in its dist/bundle/). */
function prefixOfThisRelease(): string | undefined {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const releases = dirname(resolve(root));
  return basename(releases) === 'releases' ? dirname(releases) : undefined;
}
