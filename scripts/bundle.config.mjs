// Bundles the hub (src/cli/main.ts and what it imports, node_modules included) into a few
// files under dist/bundle/. Why: on a 2-core box, Node's module loader resolving ~500 separate
// files was most of start-up (1.2 s → 0.8 s here) and some of the idle memory; see
// docs/performance.md. dist/bundle sits at the same depth as dist/<part>/, so the
// import.meta.url-relative paths (package.json, ui/dist) still resolve.
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: { hearth: 'src/cli/main.ts' },
  platform: 'node',
  // Native addons, packages that find files next to themselves at run time, and the logger
  // (whose optional transports run in worker threads by file name) stay in node_modules;
  // node-llama-cpp (native, and loaded only when a model is used) and twilio (only with telephony) too.
  external: [
    /^node:/,
    'better-sqlite3',
    'unix-dgram',
    '@fastify/swagger-ui',
    '@fastify/static',
    'pino',
    'pino-pretty',
    'node-llama-cpp',
    // Loaded on first use, synchronously, by src/channels/twilio/lib.ts (a hub without telephony never does).
    'twilio',
    /^aedes-persistence(\/.*)?$/,
  ],
  output: {
    dir: 'dist/bundle',
    format: 'esm',
    entryFileNames: '[name].mjs',
    chunkFileNames: '[name]-[hash].mjs',
    cleanDir: true,
    // V8 keeps each script's source text in memory, in two bytes per character as soon as one
    // character is outside Latin-1: a few '─' and '…' in dependencies doubled the ~2.8 MB of
    // chunks the hub loads (5 MB of idle RSS). asciiOnly writes them as \uXXXX escapes (same
    // values; tagged templates' raw text is left alone). No compress or mangle: stack traces
    // keep their names and lines; comments go, they only cost memory here.
    comments: false,
    minify: { compress: false, mangle: false, codegen: { removeWhitespace: false, asciiOnly: true } },
  },
});
