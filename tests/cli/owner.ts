import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const OWNER = { username: 'owner', password: 'a long owner passphrase', display_name: 'The Owner' };

/** First run as a newcomer does it: read the setup code from the data directory, create the owner; returns the session cookie. */
export async function setupOwner(url: string, dataDir: string): Promise<string> {
  const setup_code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
  const res = await fetch(`${url}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ setup_code, ...OWNER }),
  });
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie');
  if (!cookie) throw new Error('setup set no session cookie');
  return cookie.split(';')[0]!;
}
