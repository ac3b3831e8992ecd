#!/usr/bin/env -S node --max-semi-space-size=2
// Thin launcher: `npm run build` bundles the CLI (src/cli/main.ts and all it imports) into
// dist/bundle/ (scripts/bundle.config.mjs); one file loads much faster than hundreds.
// --max-semi-space-size=2 (also in `npm start`, the systemd unit and the Dockerfile): V8's
// default young generation costs ~27 MB of resident memory on an idle hub; 2 MB semi-spaces
// cost a few more minor GCs and keep the hub near 90 MB (docs/performance.md).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/bundle/hearth.mjs', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('hearth: not built yet. Run `npm run build` (or `npm start`, which builds first).\n');
  process.exit(70);
}
await import(entry);
