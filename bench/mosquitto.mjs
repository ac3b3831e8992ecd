// A real mosquitto for the benches (TLS with a throwaway CA made by openssl, passwords, an ACL,
// set_tcp_nodelay), as a cloud broker would be set up. Needs mosquitto, mosquitto_passwd and openssl.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function waitFor(check, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
const bin = (names) => names.find((p) => existsSync(p)) ?? names[names.length - 1].split('/').pop();

const openssl = (dir, args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

function pki(dir) {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=bench-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
}

export async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A mosquitto with TLS, passwords (`users`: name → password) and the relay/hub ACL, in `dir`. */
export class BenchBroker {
  child;
  port = 0;

  constructor(dir, users) {
    this.dir = dir;
    this.users = users;
  }

  async setup() {
    pki(this.dir);
    this.port = await freePort();
    writeBrokerConfig(this.dir, this.port, this.users);
  }

  get url() {
    return `mqtts://127.0.0.1:${this.port}`;
  }

  get caFile() {
    return join(this.dir, 'ca.crt');
  }

  ca() {
    return readFileSync(this.caFile);
  }

  get running() {
    return this.child !== undefined && this.child.exitCode === null;
  }

  async start() {
    this.child = spawn(bin(['/usr/sbin/mosquitto', '/usr/bin/mosquitto', 'mosquitto']), ['-c', join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    await waitFor(
      () =>
        new Promise((resolve) => {
          const s = tcpConnect(this.port, '127.0.0.1');
          s.once('connect', () => (s.destroy(), resolve(true)));
          s.once('error', () => resolve(false));
        }),
      'mosquitto listening',
      10_000,
    );
  }

  async stop() {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function writeBrokerConfig(dir, port, users) {
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'passwd'), '');
  for (const [u, p] of Object.entries(users)) execFileSync(bin(['/usr/bin/mosquitto_passwd', 'mosquitto_passwd']), ['-b', join(dir, 'passwd'), u, p]);
  writeFileSync(join(dir, 'acl'), 'user relay\ntopic readwrite hearth/#\n\npattern readwrite hearth/v1/%u/#\n');
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [
      'per_listener_settings false',
      'allow_anonymous false',
      `password_file ${join(dir, 'passwd')}`,
      `acl_file ${join(dir, 'acl')}`,
      'persistence true',
      `persistence_location ${join(dir, 'data')}/`,
      'max_queued_messages 1000000',
      'set_tcp_nodelay true',
      'user root',
      'log_dest none',
      `listener ${port} 127.0.0.1`,
      `cafile ${join(dir, 'ca.crt')}`,
      `certfile ${join(dir, 'server.crt')}`,
      `keyfile ${join(dir, 'server.key')}`,
      '',
    ].join('\n'),
  );
}
