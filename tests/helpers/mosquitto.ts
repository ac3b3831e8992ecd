import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

/**
 * A real `mosquitto` on loopback with TLS, a password file and an ACL, for the link's tests.
 * Certificates are made with `openssl` per test file; nothing here mocks the broker.
 */

export function mosquittoBinary(): string {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto']) if (existsSync(p)) return p;
  return 'mosquitto'; // on PATH, or the test fails saying so
}

export function mosquittoPasswdBinary(): string {
  for (const p of ['/usr/bin/mosquitto_passwd', '/usr/local/bin/mosquitto_passwd']) if (existsSync(p)) return p;
  return 'mosquitto_passwd';
}

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** A CA the hub does not trust, and a server certificate it signed. */
  rogueCaCert: string;
  rogueServerCert: string;
  rogueServerKey: string;
  /** Makes a client certificate signed by the trusted CA. */
  clientCert(name: string): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { cert, key };
}

function makeLeaf(dir: string, name: string, ca: { cert: string; key: string }, ext: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', extFile], dir);
  return { cert, key };
}

export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'ca');
  const serverExt =
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n';
  const server = makeLeaf(dir, 'server', ca, serverExt);
  const rogue = makeCa(dir, 'rogue-ca');
  const rogueServer = makeLeaf(dir, 'rogue-server', rogue, serverExt);
  return {
    dir,
    caCert: ca.cert,
    caKey: ca.key,
    serverCert: server.cert,
    serverKey: server.key,
    rogueCaCert: rogue.cert,
    rogueServerCert: rogueServer.cert,
    rogueServerKey: rogueServer.key,
    clientCert: (name) => makeLeaf(dir, `client-${name}`, ca, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n'),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface BrokerOptions {
  dir: string;
  pki: Pki;
  users: Record<string, string>;
  /** ACL file text; default: the relay user reaches all, every other user only hearth/v1/<its name>/#. */
  acl?: string;
  relayUser?: string;
  /** Serve the rogue CA's certificate instead (a broker the hub must refuse). */
  rogue?: boolean;
  port?: number;
}

export const defaultAcl = (relayUser: string): string =>
  [
    `user ${relayUser}`,
    'topic readwrite hearth/#',
    '',
    '# every other user: only its own hub root (username = hub id)',
    'pattern readwrite hearth/v1/%u/#',
    '',
  ].join('\n');

export class Mosquitto {
  private child?: ChildProcess;
  private log = '';
  private exited?: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly confFile: string,
  ) {}

  get url(): string {
    return `mqtts://127.0.0.1:${this.port}`;
  }

  output(): string {
    return this.log;
  }

  static async start(options: BrokerOptions): Promise<Mosquitto> {
    const { dir, pki } = options;
    mkdirSync(join(dir, 'data'), { recursive: true });
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, '');
    for (const [user, password] of Object.entries(options.users)) {
      execFileSync(mosquittoPasswdBinary(), ['-b', passwd, user, password], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    const acl = join(dir, 'acl');
    writeFileSync(acl, options.acl ?? defaultAcl(options.relayUser ?? 'relay'));
    const port = options.port ?? (await freePort());
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        'per_listener_settings false',
        'allow_anonymous false',
        `password_file ${passwd}`,
        `acl_file ${acl}`,
        'persistence true',
        `persistence_location ${join(dir, 'data')}/`,
        'max_queued_messages 100000',
        'set_tcp_nodelay true',
        // Tests run as root; stay root so the broker can read the temp files.
        'user root',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        'log_type notice',
        'log_type information',
        `listener ${port} 127.0.0.1`,
        `cafile ${pki.caCert}`,
        `certfile ${options.rogue ? pki.rogueServerCert : pki.serverCert}`,
        `keyfile ${options.rogue ? pki.rogueServerKey : pki.serverKey}`,
        'require_certificate false',
        '',
      ].join('\n'),
    );
    const broker = new Mosquitto(port, conf);
    await broker.launch();
    return broker;
  }

  private async launch(): Promise<void> {
    const child = spawn(mosquittoBinary(), ['-c', this.confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}):\n${this.log}`);
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${this.port}:\n${this.log}`);
      await sleep(50);
    }
  }

  /** SIGTERM: mosquitto saves its persistence file (sessions, queued messages) and exits. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  /** Starts again on the same port with the same persistence directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value or the time runs out (then throws with `what`). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}
