import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';

describe('hub start-up', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('starts on embedded defaults and answers health without sign-in', async () => {
    t = await startTestHub();
    const res = await fetch(`${t.url}/api/v1/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; version: string; components: Record<string, unknown> };
    expect(body.status).toBe('ok');
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.components).toHaveProperty('store');
    expect(body.components).toHaveProperty('http');
  });

  it('answers an unknown route with the error shape and a 404', async () => {
    t = await startTestHub();
    const res = await fetch(`${t.url}/api/v1/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });
});
