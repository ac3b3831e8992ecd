import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BIN, REPO } from './hub.js';
import { waitFor } from './mosquitto.js';

/**
 * `hearth relay --config FILE` as a real process (from dist/bundle: `npm run build` first),
 * with JSON logs; ready once it says so and its broker connection is up.
 */
export class RelayProcess {
  output = '';
  url = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly config: string,
  ) {
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((r) => child.on('close', (code) => r(code)));
  }

  /** Writes `relay` (the settings section) to `<dir>/<name>.yaml` and starts the relay on it. */
  static async start(dir: string, name: string, relay: Record<string, unknown>): Promise<RelayProcess> {
    const config = join(dir, `${name}.yaml`);
    writeFileSync(config, stringify({ hub: { log_format: 'json', log_level: 'info' }, relay: { host: '127.0.0.1', port: 0, ...relay } }), { mode: 0o600 });
    return RelayProcess.launch(config);
  }

  private static async launch(config: string): Promise<RelayProcess> {
    const child = spawn(process.execPath, [BIN, 'relay', '--config', config], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const relay = new RelayProcess(child, config);
    await waitFor(() => relay.output.includes('relay is ready') || child.exitCode !== null, 'the relay to start', 30_000);
    if (child.exitCode !== null) throw new Error(`the relay exited (${child.exitCode}):\n${relay.output}`);
    await waitFor(() => relay.output.includes('link connected'), `the relay at the broker:\n${relay.output}`, 30_000);
    const ready = relay.output.split('\n').find((l) => l.includes('relay is ready'));
    relay.url = (JSON.parse(ready!) as { url: string }).url;
    return relay;
  }

  /** The same config again (after a kill). */
  restart(): Promise<RelayProcess> {
    return RelayProcess.launch(this.config);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
