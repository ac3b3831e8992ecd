import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { DownCommands } from '../../src/link/commands.js';
import { signBody } from '../../src/link/messages.js';
import type { GateActionRequest } from '../../src/link/gate-port.js';
import { ed25519 } from './helpers.js';

describe('down commands in the audit trail', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('records an accepted command without its secret-looking params; the gate still gets them', async () => {
    t = await startTestHub();
    const keys = ed25519();
    const asked: GateActionRequest[] = [];
    const commands = new DownCommands({
      ctx: t.hub.ctx,
      hubId: 'hub-c',
      publicKey: keys.publicKey,
      maxTtlMs: 300_000,
      // A gate at the edge of this unit test: it records what it is asked and refuses.
      gate: {
        request: async (r) => {
          asked.push(r);
          return { status: 'refused', code: 'TEST_GATE', message: 'recorded only' };
        },
        registerSystemAction: () => () => {},
      },
      log: t.hub.ctx.log,
      onResult: () => {},
    });
    const now = t.hub.ctx.clock.now();
    const body = {
      id: 'cmd_with_a_code_1',
      hub_id: 'hub-c',
      issued_at: now,
      expires_at: now + 60_000,
      action: { entity_id: 'lock.front_door', operation: 'unlock', params: { code: '918273' } },
    };
    await commands.handle(Buffer.from(JSON.stringify({ body, sig: signBody(keys.privateKey, body) })));
    expect(asked[0]?.action.params).toEqual({ code: '918273' });
    const entry = t.hub.ctx.audit.list({ kind: 'link.command.accepted' }).entries[0]!;
    expect(JSON.stringify(entry.data)).not.toContain('918273');
  });
});
