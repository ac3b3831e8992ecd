import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { SETTINGS_VERSION } from '../../src/config/schema.js';
import { EXIT } from '../../src/core/errors.js';
import { REPO, tempDir } from '../helpers/hub.js';

describe('settings sources', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (text: string) => {
    const file = join(dir, 'hearth.yaml');
    writeFileSync(file, text);
    return file;
  };
  const failure = (fn: () => unknown): ConfigError => {
    try {
      fn();
    } catch (err) {
      return err as ConfigError;
    }
    throw new Error('expected a ConfigError');
  };

  it('runs on embedded defaults with no file at all', () => {
    const { settings, file } = loadSettings({ env: {}, cwd: dir });
    expect(file).toBeUndefined();
    expect(settings.http.port).toBe(8080);
    expect(settings.mqtt.port).toBe(1883);
    expect(settings.mqtt.allow_anonymous).toBe(false);
    expect(settings.hub.data_dir).toBe('./data');
    expect(settings.link.url).toBeUndefined();
    expect(settings.llm.model_path).toBeUndefined();
    expect(settings.settings_version).toBe(SETTINGS_VERSION);
  });

  it('reads config/hearth.yaml from the working directory when no file is named', () => {
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config/hearth.yaml'), 'hub:\n  name: Fallback\n');
    expect(loadSettings({ env: {}, cwd: dir }).settings.hub.name).toBe('Fallback');
  });

  it('lets environment variables beat the file, and the file beat the defaults', () => {
    const file = write('http:\n  port: 9000\nmqtt:\n  port: 1999\n  allow_anonymous: true\nhub:\n  name: From file\n');
    const { settings } = loadSettings({
      file,
      env: { HEARTH_HTTP_PORT: '9100', HEARTH_MQTT_ALLOW_ANONYMOUS: 'false', HEARTH_DATA_DIR: '/srv/hearth', HEARTH_LOG_LEVEL: 'debug' },
    });
    expect(settings.http.port).toBe(9100);
    expect(settings.mqtt.allow_anonymous).toBe(false);
    expect(settings.mqtt.port).toBe(1999);
    expect(settings.hub.name).toBe('From file');
    expect(settings.hub.data_dir).toBe('/srv/hearth');
    expect(settings.hub.log_level).toBe('debug');
  });

  it('finds the file through HEARTH_CONFIG', () => {
    const file = write('hub:\n  name: Via env\n');
    expect(loadSettings({ env: { HEARTH_CONFIG: file }, cwd: '/' }).settings.hub.name).toBe('Via env');
  });

  it('rejects a file written by a newer Hearth (settings_version above ours)', () => {
    const file = write(`settings_version: ${SETTINGS_VERSION + 1}\nhub:\n  name: Future\n`);
    const err = failure(() => loadSettings({ file, env: {} }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(EXIT.config);
    expect(err.message).toContain('settings_version');
    expect(err.message).toContain('newer Hearth');
  });

  it('rejects a settings_version that is not a whole number', () => {
    const err = failure(() => loadSettings({ file: write('settings_version: "one"\n'), env: {} }));
    expect(err.message).toMatch(/settings_version.*"one".*whole number/);
  });

  it('accepts the current settings_version and an unversioned file', () => {
    expect(loadSettings({ file: write(`settings_version: ${SETTINGS_VERSION}\n`), env: {} }).settings.settings_version).toBe(SETTINGS_VERSION);
    expect(loadSettings({ file: write('hub: {}\n'), env: {} }).settings.settings_version).toBe(SETTINGS_VERSION);
  });

  it('validates the shipped example config (config/hearth.example.yaml)', () => {
    const { settings } = loadSettings({ file: join(REPO, 'config/hearth.example.yaml'), env: {} });
    expect(settings.http.port).toBe(8080);
  });
});
