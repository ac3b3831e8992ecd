import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadSettings } from '../../config/load.js';
import { createLogger } from '../../core/logger.js';
import { EXIT, FatalError } from '../../core/errors.js';
import { randomToken } from '../../core/ids.js';
import { Relay } from '../../relay/index.js';
import { hashPassword, hashToken } from '../../relay/accounts.js';
import { parse } from '../args.js';

export const relayHelp = [
  'hearth relay [--config FILE]                     run the cloud relay (settings section relay:)',
  'hearth relay keygen --out DIR                    write an Ed25519 signing key pair (relay-signing.key, relay-signing.pub)',
  'hearth relay hash-password                       read a password on stdin, print relay.accounts[].password_hash',
  'hearth relay token                               print a new bearer token and its token_sha256',
].join('\n');

export async function relayCommand(argv: string[]): Promise<number> {
  const [sub] = argv;
  if (sub === 'keygen') {
    const { values } = parse(argv.slice(1), { out: { type: 'string', default: '.' } });
    const dir = resolve(values.out);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'relay-signing.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, 'relay-signing.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    process.stdout.write(`wrote ${join(dir, 'relay-signing.key')} (relay.signing_key) and ${join(dir, 'relay-signing.pub')} (hubs' link.relay_public_key)\n`);
    return EXIT.ok;
  }
  if (sub === 'hash-password') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const password = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
    if (password.length < 12) throw new FatalError('use a password of at least 12 characters', EXIT.usage);
    process.stdout.write(`${hashPassword(password)}\n`);
    return EXIT.ok;
  }
  if (sub === 'token') {
    const token = randomToken(40);
    process.stdout.write(`token: ${token}\ntoken_sha256: ${hashToken(token)}\n`);
    return EXIT.ok;
  }
  const { values } = parse(argv, { config: { type: 'string', short: 'c' } });
  const { settings } = loadSettings({ file: values.config });
  if (!settings.relay.broker_url) throw new FatalError('settings key "relay.broker_url" is not set: the relay needs a broker', EXIT.config);
  const log = createLogger({ level: settings.hub.log_level, format: settings.hub.log_format === 'auto' ? undefined : settings.hub.log_format });
  let relay: Relay;
  try {
    relay = await Relay.create(settings, log);
  } catch (err) {
    throw new FatalError(`the relay cannot start: ${(err as Error).message}`, EXIT.config);
  }
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'relay stopping');
    setTimeout(() => process.exit(1), 10_000).unref();
    void relay.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await relay.start();
  log.info({ url: relay.url, instance: relay.broker.instanceId }, 'relay is ready');
  return new Promise<number>(() => {});
}
