import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { errorMessage } from '../core/errors.js';
import { checkResult, type SettingsCheck } from '../config/checks.js';

/** Reaches the relay over TLS, verified against `link.ca`, and reads its certificate's dates. */
export const linkCheck: SettingsCheck = {
  section: 'link',
  connection: true,
  async run(settings, timeoutMs) {
    const name = 'link';
    const { url, ca, hub_id, cert, key } = settings.link;
    if (!url) return checkResult(name, 'skip', 'not configured');
    if (!hub_id) return checkResult(name, 'fail', 'link.hub_id is missing');
    const u = new URL(url);
    const secure = ['mqtts:', 'ssl:', 'tls:', 'wss:'].includes(u.protocol);
    const port = Number(u.port || (u.protocol === 'wss:' ? 443 : secure ? 8883 : 1883));
    if (!secure) return checkResult(name, 'fail', `${url} is not TLS; the link needs mqtts://`);
    let caPem: Buffer | undefined;
    try {
      caPem = ca ? readFileSync(ca) : undefined;
      if (cert) readFileSync(cert);
      if (key) readFileSync(key);
    } catch (err) {
      return checkResult(
        name,
        'fail',
        `cannot read ${(err as NodeJS.ErrnoException).path ?? 'a link file'}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
      );
    }
    try {
      const peer = await tlsProbe(u.hostname, port, caPem, timeoutMs);
      const daysLeft = Math.floor((Date.parse(peer.valid_to) - Date.now()) / 86_400_000);
      const detail = `${u.hostname}:${port} TLS verified${ca ? ` against ${ca}` : ''}; certificate ${peer.subject} valid ${daysLeft} more days`;
      return checkResult(name, daysLeft < 14 ? 'warn' : 'ok', detail);
    } catch (err) {
      return checkResult(name, 'fail', `${u.hostname}:${port}: ${errorMessage(err)}`);
    }
  },
};

function tlsProbe(host: string, port: number, ca: Buffer | undefined, timeoutMs: number): Promise<{ subject: string; valid_to: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, servername: host, ...(ca ? { ca } : {}) });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      const cn = cert.subject?.CN;
      resolve({ subject: (Array.isArray(cn) ? cn[0] : cn) ?? 'unnamed', valid_to: cert.valid_to });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ? `${err.code}: ${err.message}` : err.message)));
  });
}
