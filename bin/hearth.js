#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1
// Thin launcher: `npm run build` bundles the CLI (src/cli/main.ts and all it imports) into
// dist/bundle/ (scripts/bundle.config.mjs); one file loads much faster than hundreds.
// The flags (also in `npm start`, the systemd unit and the Dockerfile) keep an idle hub under
// 80 MB resident: V8's default 16 MB semi-spaces cost ~27 MB, and each of its 4 background
// threads a few MB; neither changed the broker's throughput measurably (docs/performance.md).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/bundle/hearth.mjs', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('hearth: not built yet. Run `npm run build` (or `npm start`, which builds first).\n');
  process.exit(70);
}
await import(entry);
