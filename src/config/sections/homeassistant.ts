import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The CA certificates of a PEM file, read and parsed. Throws an Error whose message says what
 * is wrong (the schema turns it into the usual config error; the bridge reads the file again
 * on every connect, so a renewed CA file is picked up without a restart).
 */
export function readCaPem(path: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new Error(`${path} holds a PEM block that is not a valid certificate`);
    }
  }
  return pem;
}

/**
 * What people type: "homeassistant.local" or "192.168.1.20:8123" become
 * http://homeassistant.local:8123 and http://192.168.1.20:8123 (HA's own default port when no
 * port is given). Anything with a scheme is left as it is.
 */
export function normalizeHomeAssistantUrl(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const v = value.trim();
  if (!v || /^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return v;
  const m = /^([a-z0-9.-]+|\[[0-9a-f:]+\])(:\d{1,5})?(\/.*)?$/i.exec(v);
  if (!m) return v;
  return `http://${m[1]}${m[2] ?? ':8123'}${m[3] ?? ''}`;
}

export const homeassistantSection = z
  .strictObject({
    url: z
      .preprocess(
        normalizeHomeAssistantUrl,
        z
          .string()
          .url()
          .refine((u) => /^(https?|wss?):\/\//i.test(u), 'expected an http://, https://, ws:// or wss:// URL'),
      )
      .optional()
      .describe('Home Assistant base URL, such as http://homeassistant.local:8123; a bare host ("homeassistant.local") means http:// and port 8123.'),
    token: z.string().min(1).optional().describe('A long-lived access token from your Home Assistant profile.').meta({ secret: true }),
    ca: z
      .string()
      .min(1)
      // Checked when the settings load, so a wrong path stops start-up (exit 78) instead of
      // failing every connect later.
      .superRefine((path, ctx) => {
        try {
          readCaPem(path);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `expected a readable PEM file of CA certificates: ${(err as Error).message}` });
        }
      })
      .optional()
      .describe(
        "PEM file of the CA certificate(s) that sign Home Assistant's https certificate (a home's own CA or a self-signed certificate). When set, the connection trusts only these, not the system CAs, as link.ca does.",
      ),
  })
  .describe('The Home Assistant bridge (off unless url and token are set).');
