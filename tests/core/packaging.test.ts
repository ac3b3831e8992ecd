import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO } from '../helpers/hub.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

describe('packaging', () => {
  it('the bundle is ASCII, so V8 keeps its source at one byte per character (5 MB of idle memory)', () => {
    const dir = join(REPO, 'dist/bundle');
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.mjs'))
      .filter((f) => /[^\x00-\x7f]/.test(readFileSync(join(dir, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the installer scripts parse, and pass shellcheck where it is installed', () => {
    for (const script of ['installer/install.sh', 'installer/uninstall.sh', '.ci/run']) {
      execFileSync('bash', ['-n', join(REPO, script)]);
      expect(read(script)).toMatch(/^#!\/usr\/bin\/env bash\n/);
      expect(read(script)).toContain('set -euo pipefail');
    }
    if (has('shellcheck')) execFileSync('shellcheck', ['installer/install.sh', 'installer/uninstall.sh', '.ci/run'], { cwd: REPO });
  });

  it('the systemd unit is a hardened notify service, and verifies where systemd-analyze exists', () => {
    const unit = read('systemd/hearth.service');
    const directives = new Map<string, string>();
    for (const line of unit.split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (m) directives.set(m[1]!, m[2]!);
    }
    expect(directives.get('Type')).toBe('notify');
    expect(directives.get('NotifyAccess')).toBe('main');
    expect(Number(directives.get('WatchdogSec'))).toBeGreaterThan(0);
    expect(directives.get('Restart')).toBe('on-failure');
    expect(directives.get('User')).toBe('hearth');
    expect(directives.get('StateDirectory')).toBe('hearth');
    expect(directives.get('ExecStart')).toBe('/usr/bin/node --max-semi-space-size=2 --v8-pool-size=1 /opt/hearth/current/bin/hearth.js start');
    for (const [k, v] of Object.entries({
      ProtectSystem: 'strict',
      ProtectHome: 'true',
      PrivateTmp: 'true',
      NoNewPrivileges: 'true',
      SystemCallFilter: '@system-service',
      CapabilityBoundingSet: '',
      UMask: '0077',
    })) {
      expect(directives.get(k), k).toBe(v);
    }
    expect(directives.get('RestrictAddressFamilies')).toContain('AF_INET6');
    expect(directives.has('MemoryDenyWriteExecute')).toBe(false); // breaks V8's JIT
    if (has('systemd-analyze')) {
      const r = spawnSync('systemd-analyze', ['verify', join(REPO, 'systemd/hearth.service')], { encoding: 'utf8' });
      expect(r.stderr.split('\n').filter((l) => l.includes('hearth.service') && !/Command .* is not executable|No such file/.test(l))).toEqual([]);
    }
  });

  it('docker-compose.yml parses, builds the hub, and mounts Mosquitto files that exist', () => {
    const compose = parseYaml(read('docker-compose.yml')) as {
      services: Record<string, { build?: string; image?: string; ports?: string[]; volumes?: string[] }>;
    };
    const hub = compose.services.hearth!;
    expect(hub.build).toBe('.');
    expect(hub.ports).toEqual(expect.arrayContaining(['8080:8080', '1883:1883']));
    expect(existsSync(join(REPO, 'Dockerfile'))).toBe(true);
    const broker = compose.services.mosquitto!;
    expect(broker.image).toMatch(/^eclipse-mosquitto:/);
    for (const volume of broker.volumes ?? []) {
      const host = volume.split(':')[0]!;
      // passwd and certs/ are made by the operator (deploy/mosquitto/README.md says how).
      if (host.startsWith('./') && !/passwd$|certs$/.test(host)) expect(existsSync(join(REPO, host)), host).toBe(true);
    }
    expect(read('Dockerfile')).toMatch(/^FROM node:20-bookworm-slim/m);
  });
});
