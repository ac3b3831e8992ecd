import { describe, expect, it } from 'vitest';
import { allTables, inOrder, parts, partChecks, streamEvents } from '../../src/hub/parts.js';
import { definePart } from '../../src/part/define.js';
import { settingLeaves } from '../../src/config/introspect.js';
import { defineErrors, HearthError } from '../../src/core/errors.js';
import { gateError } from '../../src/gate/errors.js';

describe('parts describe themselves; the hub derives its lists', () => {
  it("migrates every part's tables in the order of the list", () => {
    expect(allTables.map((t) => t.part)).toEqual([
      'config',
      'audit',
      'members',
      'devices',
      'gate',
      'link',
      'notify',
      'usage',
      'telegram',
      'twilio',
      'checkins',
      'workflows',
      'health',
      'backups',
    ]);
  });

  it('makes each part after the parts it needs, keeping the listed order otherwise', () => {
    expect(inOrder(parts).map((p) => p.name)).toEqual([
      'config',
      'audit',
      'members',
      'devices',
      'gate',
      'link',
      'notify',
      'usage',
      'inference',
      'dialogue',
      'telegram',
      'twilio',
      'workflows',
      'checkins',
      'web',
      'health',
      'backups',
      'connection-test',
    ]);
    const a = definePart({ name: 'a', create: () => ({ name: 'a' }) });
    const b = definePart({ name: 'b', needs: { a }, create: (_ctx, deps) => ({ name: `b after ${deps.a.name}` }) });
    const c = definePart({ name: 'c', needs: { b }, create: () => ({ name: 'c' }) });
    expect(inOrder([c, b, a]).map((p) => p.name)).toEqual(['a', 'b', 'c']);
    expect(() => inOrder([c, b])).toThrow('part b needs a, which is not in the list of parts');
  });

  it("gathers the web stream's events and the checks from the parts", () => {
    expect(Object.keys(streamEvents).sort()).toEqual(
      [
        'action.executed',
        'approval.decided',
        'approval.finished',
        'approval.requested',
        'entity.added',
        'entity.removed',
        'entity.state_changed',
        'gate.alert',
        'notification.acknowledged',
        'notification.created',
      ].sort(),
    );
    expect(partChecks.map((c) => c.section).sort()).toEqual(['homeassistant', 'link', 'llm', 'telegram', 'twilio']);
    expect(
      partChecks
        .filter((c) => c.connection)
        .map((c) => c.section)
        .sort(),
    ).toEqual(['homeassistant', 'link', 'telegram', 'twilio']);
  });

  it('reads the keys that need a restart from the schema', () => {
    const restart = settingLeaves()
      .filter((l) => l.restart)
      .map((l) => l.key);
    expect(restart.filter((k) => !k.startsWith('link.')).sort()).toEqual(
      [
        'http.host',
        'http.port',
        'http.tls_cert',
        'http.tls_key',
        'http.body_limit_bytes',
        'http.trust_proxy',
        'mqtt.host',
        'mqtt.port',
        'mqtt.tls_port',
        'mqtt.tls_cert',
        'mqtt.tls_key',
        'mqtt.enabled',
        'mqtt.messages_per_second',
        'mqtt.message_burst',
        'hub.log_level',
        'hub.log_format',
      ].sort(),
    );
    // The whole link section is marked: every one of its settings needs a restart.
    const link = settingLeaves().filter((l) => l.key.startsWith('link.'));
    expect(link.length).toBeGreaterThan(5);
    expect(link.every((l) => l.restart)).toBe(true);
    expect(settingLeaves().find((l) => l.key === 'http.session_ttl_hours')?.restart).toBe(false);
    expect(settingLeaves().find((l) => l.key === 'hub.demo')?.restart).toBe(false); // the demo home turns on and off live
  });

  it("defines a part's error codes once, each with its HTTP status", () => {
    const errors = defineErrors({ CHECKIN_MISSED: 409, NO_SUCH_CHECKIN: 404 });
    const err = errors.error('NO_SUCH_CHECKIN', 'no check-in chk_1');
    expect(err).toBeInstanceOf(HearthError);
    expect({ code: err.code, status: err.status, message: err.message }).toEqual({ code: 'NO_SUCH_CHECKIN', status: 404, message: 'no check-in chk_1' });
    expect(gateError('APPROVAL_NOT_FOUND', 'gone').status).toBe(404);
  });
});
