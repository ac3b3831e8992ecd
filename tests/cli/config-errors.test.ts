import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/hub.js';
import { runCli, SLOW_TEST_MS } from './slow.js';

/** A bad config stops `hearth start` with exit 78 and one message naming key, value and expectation. */
describe('hearth start with a bad config', { timeout: SLOW_TEST_MS }, () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (yaml: string | undefined, env: NodeJS.ProcessEnv = {}) => {
    const args = ['start', '--data', join(dir, 'data')];
    if (yaml !== undefined) {
      const file = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, yaml);
      args.push('--config', file);
    }
    // No port overrides here: HEARTH_HTTP_PORT would beat the file's bad http.port.
    return runCli(args, { cwd: dir, env: { HEARTH_HTTP_HOST: '127.0.0.1', HEARTH_MQTT_HOST: '127.0.0.1', ...env } });
  };
  const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);

  it('a wrong type: names the key, the value and the expected type', async () => {
    const r = await start('http:\n  port: "eighty"\n');
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('http.port');
    expect(r.stderr).toContain('"eighty"');
    expect(r.stderr).toMatch(/expected number/i);
    noStack(r.stderr);
  });

  it('a value out of range', async () => {
    const r = await start('http:\n  port: 70000\n');
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('http.port');
    expect(r.stderr).toContain('70000');
    expect(r.stderr).toMatch(/65535/);
  });

  it('an unknown key: names it and points at the documented keys', async () => {
    const r = await start('mqtt:\n  alow_anonymous: true\n');
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('mqtt.alow_anonymous');
    expect(r.stderr).toMatch(/unknown settings key/);
    noStack(r.stderr);
  });

  it('an unknown section', async () => {
    const r = await start('htpp:\n  port: 80\n');
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('"htpp"');
  });

  it('YAML that does not parse', async () => {
    const r = await start('http:\n  port: [8080\n  host: x\n');
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/not valid YAML/);
    noStack(r.stderr);
  });

  it('a file that is a list, not a mapping of sections', async () => {
    const r = await start('- http\n- mqtt\n');
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/mapping of sections/);
  });

  it('a --config file that does not exist', async () => {
    const r = await runCli(['start', '--config', join(dir, 'missing.yaml')], { cwd: dir });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('missing.yaml');
    expect(r.stderr).toMatch(/does not exist/);
  });

  it('HEARTH_HTTP_PORT=abc: names the variable, the value and the expected type', async () => {
    const r = await start(undefined, { HEARTH_HTTP_PORT: 'abc' });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('http.port');
    expect(r.stderr).toContain('"abc"');
    expect(r.stderr).toContain('HEARTH_HTTP_PORT');
    expect(r.stderr).toMatch(/expected number/i);
    noStack(r.stderr);
  });

  it('a bad enum value lists what is allowed', async () => {
    const r = await start('hub:\n  log_level: loud\n');
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('hub.log_level');
    expect(r.stderr).toContain('"loud"');
    expect(r.stderr).toMatch(/debug/);
  });

  it('a settings_version from a newer Hearth', async () => {
    const r = await start('settings_version: 99\n');
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/settings_version.*99.*newer/);
  });

  it('an unknown command line flag is a usage error (64), not a crash', async () => {
    const r = await runCli(['start', '--dat', 'x'], { cwd: dir });
    expect(r.code).toBe(64);
    noStack(r.stderr);
  });
});
