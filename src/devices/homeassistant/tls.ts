import type { ClientOptions } from 'ws';
import { readCaPem } from '../../config/sections/homeassistant.js';

/**
 * The one place that builds the TLS options of a connection to Home Assistant (the bridge's
 * socket and the connection check both open it through socket.ts). Certificates are always
 * verified: against homeassistant.ca when it is set (instead of the system CAs, as link.ca
 * does), else against Node's CA list. Read on every connect, so a renewed CA file counts at
 * the next try.
 */
export function haTlsOptions(wsUrl: string, caFile: string | undefined): Pick<ClientOptions, 'ca' | 'rejectUnauthorized'> {
  if (!wsUrl.startsWith('wss:')) return {};
  return caFile ? { rejectUnauthorized: true, ca: readCaPem(caFile) } : { rejectUnauthorized: true };
}

/** Stable codes of the connection failures that TLS causes (HaCannotConnectError.code). */
export type HaTlsFailure = 'HA_TLS_UNTRUSTED' | 'HA_TLS_HOSTNAME' | 'HA_TLS_EXPIRED';

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);
const HOSTNAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/**
 * A certificate error as one sentence that says what to do, with Node's code in brackets (the
 * rest of Node's message varies between versions, so it is left out); undefined for errors
 * that are not about the certificate.
 */
export function certificateProblem(code: string | undefined, caFile: string | undefined): { code: HaTlsFailure; message: string } | undefined {
  if (!code) return undefined;
  if (UNTRUSTED.has(code)) {
    return {
      code: 'HA_TLS_UNTRUSTED',
      message: caFile
        ? `certificate not trusted (${code}): it is not signed by the CA in homeassistant.ca (${caFile})`
        : `certificate not trusted (${code}): set homeassistant.ca to your CA's PEM file`,
    };
  }
  if (HOSTNAME.has(code))
    return {
      code: 'HA_TLS_HOSTNAME',
      message: `certificate does not name this host (${code}): use a host name in homeassistant.url that the certificate was issued for`,
    };
  if (EXPIRED.has(code))
    return { code: 'HA_TLS_EXPIRED', message: `certificate expired or not yet valid (${code}): renew Home Assistant's certificate or check this box's clock` };
  return undefined;
}
