import type twilio from 'twilio';
import type { Settings } from '../../config/schema.js';
import { twilioLib } from './lib.js';

type Base = InstanceType<typeof twilio.RequestClient>;
let Rooted: (new (root: string) => Base) | undefined;

/**
 * twilio-node has no base-URL option: this `httpClient` rewrites `https://<x>.twilio.com/…` to
 * `twilio.api_root` (a fake on loopback in tests, or a proxy). With the default api_root it
 * changes nothing. The class is made on first use, as the library is loaded then (./lib.ts).
 */
export function rootedRequestClient(root: string): Base {
  Rooted ??= class extends twilioLib().RequestClient {
    constructor(private readonly root: string) {
      super({ timeout: 15_000 });
    }

    override request: Base['request'] = (opts) => super.request({ ...opts, uri: rewrite(opts.uri, this.root) });
  };
  return new Rooted(root);
}

export function rewrite(uri: string, root: string): string {
  const base = root.replace(/\/+$/, '');
  if (base === 'https://api.twilio.com') return uri;
  return uri.replace(/^https:\/\/[a-z0-9.-]*twilio\.com(?=\/|$)/i, base);
}

export type TwilioClient = ReturnType<typeof twilio>;

/** A client for the saved settings, or undefined when Twilio is not configured. */
export function twilioClient(s: Settings['twilio']): TwilioClient | undefined {
  if (!s.account_sid || !s.auth_token) return undefined;
  return twilioLib()(s.account_sid, s.auth_token, { httpClient: rootedRequestClient(s.api_root), autoRetry: false });
}

/** Twilio's own words for a failed REST call (the library's RestException), for people. */
export function twilioErrorText(err: unknown): string {
  const e = err as { status?: number; code?: number; message?: string };
  if (e.status === 401 || e.code === 20003) return 'Twilio refused the account SID or auth token';
  if (e.status === 404) return 'Twilio does not know this account SID';
  return e.message ?? String(err);
}
