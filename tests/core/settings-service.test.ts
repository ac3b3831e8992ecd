import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/config/secret-box.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Store } from '../../src/store/database.js';
import { configTables } from '../../src/config/tables.js';
import { SettingsService, type SettingsChange } from '../../src/config/service.js';
import { loadSettings } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { withoutSecrets } from '../../src/config/introspect.js';
import { EventBus } from '../../src/core/bus.js';
import { silentLogger } from '../../src/core/logger.js';
import { HearthError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/hub.js';

const box = SecretBox.fromKey(randomBytes(32)); // one key for every service a test makes on the same database

describe('settings at run time', () => {
  let dir: string;
  let store: Store;
  const changes: SettingsChange[] = [];
  const make = (base = {}) => new SettingsService(store.db, base, new EventBus(), (c) => changes.push(c), box);

  beforeEach(() => {
    dir = tempDir();
    store = Store.open({ dataDir: dir, log: silentLogger(), parts: [configTables] });
    changes.length = 0;
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("layers the owner's changes over the file and keeps them across restarts", () => {
    const s = make({ hub: { name: 'From file' } });
    expect(s.get().hub.name).toBe('From file');
    const change = s.update({ hub: { name: 'Maple Street' }, http: { port: 9090 } }, 'mem_owner');
    expect(change.changed.sort()).toEqual(['http.port', 'hub.name']);
    expect(change.restart_required).toEqual(['http.port']);
    expect(changes).toHaveLength(1);
    expect(make({ hub: { name: 'From file' } }).get().hub.name).toBe('Maple Street');
  });

  it('refuses an invalid change with a message naming the key, and keeps the old settings', () => {
    const s = make();
    const err = (() => {
      try {
        s.update({ mqtt: { port: 'many' } }, 'mem_owner');
      } catch (e) {
        return e as HearthError;
      }
    })();
    expect(err).toBeInstanceOf(HearthError);
    expect(err?.code).toBe('INVALID_SETTINGS');
    expect(err?.message).toContain('mqtt.port');
    expect(err?.message).toContain('"many"');
    expect(s.get().mqtt.port).toBe(1883);
    expect(changes).toHaveLength(0);
  });

  it('says a restart is needed for keys read only at start: the link, rate limits; not for the demo or a Home Assistant bridge turned on', () => {
    const s = make();
    const change = s.update(
      {
        link: { url: 'mqtts://relay.example:8883', hub_id: 'home1' },
        mqtt: { messages_per_second: 50 },
        hub: { demo: false },
        homeassistant: { url: 'http://ha.local:8123', token: 'tok' },
        retention: { state_history_days: 3 },
      },
      'mem_owner',
    );
    // The Home Assistant bridge follows url and token while it runs, even from nothing; the demo home turns on and off live.
    expect(change.changed).toContain('hub.demo');
    expect(change.restart_required.sort()).toEqual(['link.hub_id', 'link.url', 'mqtt.messages_per_second']);
    const again = make().update({ homeassistant: { token: 'other' } }, 'mem_owner');
    expect(again.changed).toEqual(['homeassistant.token']);
    expect(again.restart_required).toEqual([]);
  });

  it('refuses a Home Assistant URL the bridge cannot use (it would stop the next start)', () => {
    expect(() => make().update({ homeassistant: { url: 'ftp://ha.local', token: 'tok' } }, 'mem_owner')).toThrow(/homeassistant\.url/);
  });

  it('does not let the data directory move at run time', () => {
    expect(() => make().update({ hub: { data_dir: '/elsewhere' } }, 'mem_owner')).toThrow(/hub.data_dir/);
  });

  it('hides secrets in the redacted view', () => {
    const s = make({ telegram: { token: '123:abc' } });
    expect(s.get().telegram.token).toBe('123:abc');
    expect(s.redacted().telegram.token).toBe('[secret]');
    expect(withoutSecrets(s.get()).link.password).toBeUndefined();
  });
});

describe('loading settings', () => {
  it('parses environment overrides by the type each setting expects', () => {
    const { settings } = loadSettings({
      cwd: tempDir(),
      env: { HEARTH_MQTT_ALLOW_ANONYMOUS: 'true', HEARTH_HTTP_PORT: '9000', HEARTH_DATA_DIR: '/tmp/x', HEARTH_LOG_LEVEL: 'debug' },
    });
    expect(settings.mqtt.allow_anonymous).toBe(true);
    expect(settings.http.port).toBe(9000);
    expect(settings.hub.data_dir).toBe('/tmp/x');
    expect(settings.hub.log_level).toBe('debug');
  });

  it('names the key, the value and the expectation when an override is wrong', () => {
    expect(() => loadSettings({ cwd: tempDir(), env: { HEARTH_HTTP_PORT: 'abc' } })).toThrow(ConfigError);
    try {
      loadSettings({ cwd: tempDir(), env: { HEARTH_HTTP_PORT: 'abc' } });
    } catch (err) {
      expect((err as ConfigError).exitCode).toBe(78);
      expect((err as Error).message).toMatch(/"http\.port" has value "abc" \(HEARTH_HTTP_PORT\).*expected number/);
    }
  });
});
