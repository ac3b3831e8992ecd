import pino from 'pino';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Keys whose values never reach a log line, at any of the first few levels of nesting. */
const SECRET_KEYS = [
  'password',
  'new_password',
  'pin',
  'token',
  'access_token',
  'refresh_token',
  'secret',
  'auth_token',
  'authorization',
  'cookie',
  'set-cookie',
  'setup_code',
  'api_key',
  'apiKey',
  'passphrase',
  'key',
  'private_key',
];
const PHONE_KEYS = ['phone', 'to', 'from', 'phone_number'];

function redactPaths(keys: string[]): string[] {
  const paths: string[] = [];
  for (const k of keys) {
    const plain = /^[A-Za-z_$][\w$]*$/.test(k);
    const leaf = plain ? k : `["${k}"]`;
    const under = (prefix: string) => (plain ? `${prefix}.${leaf}` : `${prefix}${leaf}`);
    paths.push(leaf, under('*'), under('*.*'), under('*.*.*'));
  }
  return paths;
}

/** `+15551234567` → `+1555•••4567`: enough to tell numbers apart, not enough to dial. */
export function maskPhone(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const digits = value.replace(/[^\d+]/g, '');
  if (digits.replace('+', '').length < 7) return value;
  return `${digits.slice(0, digits.length - 7)}•••${digits.slice(-4)}`;
}

/** The last lines the hub logged, already redacted; support diagnostics read these. */
export class RecentLogs extends Writable {
  private readonly lines: string[] = [];
  private readonly readers = new Set<(line: string) => void>();
  constructor(private readonly capacity = 500) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const line = chunk.toString('utf8').trimEnd();
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    for (const read of this.readers) {
      try {
        read(line);
      } catch {
        /* a reader's failure must not stop logging */
      }
    }
    done();
  }
  /** Every line from now on (already redacted); returns the way to stop reading. */
  onLine(read: (line: string) => void): () => void {
    this.readers.add(read);
    return () => this.readers.delete(read);
  }
  tail(count = 100): string[] {
    return this.lines.slice(-count);
  }
}

export interface LoggerOptions {
  level?: LogLevel;
  /** `pretty` for a terminal, `json` for journald and files; default: pretty when stdout is a TTY. */
  format?: 'json' | 'pretty';
  destination?: NodeJS.WritableStream;
  recent?: RecentLogs;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const base: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: {
      paths: [...redactPaths(SECRET_KEYS), ...redactPaths(PHONE_KEYS), 'req.headers.authorization', 'req.headers.cookie'],
      censor: (value: unknown, path: string[]) => (PHONE_KEYS.includes(path[path.length - 1] ?? '') ? maskPhone(value) : '[redacted]'),
    },
    serializers: { err: pino.stdSerializers.err },
  };
  const streamLevel: pino.Level = level === 'silent' ? 'fatal' : level;
  const streams: pino.StreamEntry[] = [];
  if (format === 'pretty' && !options.destination) {
    // pino-pretty in-process (not as a worker transport): one thread less on a small box.
    const pretty = loadPretty();
    streams.push({ level: streamLevel, stream: pretty ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss' }) : process.stdout });
  } else {
    streams.push({ level: streamLevel, stream: options.destination ?? process.stdout });
  }
  if (options.recent) streams.push({ level: 'info', stream: options.recent });
  return pino(base, pino.multistream(streams));
}

type PrettyFactory = (opts: Record<string, unknown>) => NodeJS.WritableStream;
function loadPretty(): PrettyFactory | undefined {
  try {
    return createRequire(import.meta.url)('pino-pretty') as PrettyFactory;
  } catch {
    return undefined; // a production install may omit it; fall back to JSON
  }
}

/** A logger that writes nothing, for tests and one-shot CLI commands. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
