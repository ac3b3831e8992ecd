import { Hub } from '../../hub/hub.js';
import { flagsFrom, parse, settingsOptions } from '../args.js';

export const startHelp = 'hearth start [--config FILE] [--data DIR] [--demo]   run the hub';

export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...settingsOptions, demo: { type: 'boolean' } });
  const hub = await Hub.create({ file: values.config, flags: flagsFrom(values) });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      hub.ctx.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    hub.ctx.log.info({ signal }, 'stopping');
    // The lifecycle stops each service with a timeout; this is the backstop for all of them.
    setTimeout(() => process.exit(1), 20_000).unref();
    void hub.stop(signal).then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await hub.start();
  return new Promise<number>(() => {}); // runs until a signal
}
