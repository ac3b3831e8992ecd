import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RISKS } from '../src/config/sections/policy';
import { domainsForUi } from '../src/devices/domains/index';

const root = fileURLToPath(new URL('.', import.meta.url));

// The UI is served by the hub itself (CSP: script-src 'self'), so everything is bundled:
// no CDN, no external fonts, no inline scripts.
export default defineConfig({
  root,
  base: '/',
  plugins: [preact({ devtoolsInProd: false, prefreshEnabled: false }), defaultRisks(), domains()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    // `npx vite --config ui/vite.config.ts` during development: the API is a running hub.
    proxy: { '/api': { target: process.env.HEARTH_URL ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});

/**
 * The gate's built-in risk table, evaluated from the server's source at build time: importing
 * it in the browser would bundle zod (policy.ts builds schemas when loaded), ~27 KB gzipped.
 */
function defaultRisks() {
  const id = 'virtual:default-risks';
  return {
    name: 'hearth-default-risks',
    resolveId: (source: string) => (source === id ? `\0${id}` : undefined),
    load: (source: string) => (source === `\0${id}` ? `export const DEFAULT_RISK_TABLE = ${JSON.stringify(DEFAULT_RISKS)};` : undefined),
  };
}

/**
 * What the UI needs of the domain descriptions (src/devices/domains/): the control each domain
 * draws, its group on Home, its operations and their params as JSON Schema. Evaluated at build
 * time for the same reason as the risks.
 */
function domains() {
  const id = 'virtual:domains';
  return {
    name: 'hearth-domains',
    resolveId: (source: string) => (source === id ? `\0${id}` : undefined),
    load: (source: string) => (source === `\0${id}` ? `export const DOMAINS = ${JSON.stringify(domainsForUi())};` : undefined),
  };
}
