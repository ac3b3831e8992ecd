#!/usr/bin/env node
// Packs what `npm run build` made into a release for `hearth update` (format: src/cli/update/release.ts):
//
//   npm run release [-- --out DIR] [--version V] [--without-modules]
//
// → DIR/hearth-<version>.tar.gz and DIR/hearth-<version>.tar.gz.sha256 (default DIR: release/).
// With modules (the default) the production node_modules are installed (`npm ci --omit=dev`) for
// this machine's platform, CPU and Node ABI: build a Raspberry Pi's release on an arm64 box with
// its Node. `--without-modules` makes a small release that reuses the installed release's
// modules when package-lock.json is unchanged (else the box runs `npm ci` itself).
// `--version` packs the same build under another version string (tests use it).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { out: { type: 'string' }, version: { type: 'string' }, 'without-modules': { type: 'boolean' } },
});
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const version = values.version ?? pkg.version;
if (!/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/.test(version)) fail(`bad version ${version}`);
for (const need of ['dist/bundle/hearth.mjs', 'ui/dist/index.html']) {
  if (!existsSync(join(ROOT, need))) fail(`${need} is missing: run npm run build first`);
}
const out = resolve(values.out ?? join(ROOT, 'release'));
mkdirSync(out, { recursive: true });

const stage = mkdtempSync(join(tmpdir(), 'hearth-release-'));
try {
  const root = join(stage, `hearth-${version}`);
  mkdirSync(root);
  for (const part of ['bin', 'dist', 'config', 'systemd', 'installer', 'docs', 'package-lock.json', 'README.md']) {
    if (existsSync(join(ROOT, part))) cpSync(join(ROOT, part), join(root, part), { recursive: true });
  }
  cpSync(join(ROOT, 'ui/dist'), join(root, 'ui/dist'), { recursive: true });
  writeFileSync(join(root, 'package.json'), `${JSON.stringify({ ...pkg, version }, null, 2)}\n`);
  let modules = null;
  if (!values['without-modules']) {
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
    modules = `${process.platform}-${process.arch}-abi${process.versions.modules}`;
  }
  const manifest = { name: 'hearth', version, built_at: new Date().toISOString(), modules, lock_sha256: sha256(readFileSync(join(root, 'package-lock.json'))) };
  writeFileSync(join(root, 'release.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const file = join(out, `hearth-${version}.tar.gz`);
  execFileSync('tar', ['-czf', file, '--owner=0', '--group=0', '-C', stage, `hearth-${version}`]);
  const hash = sha256(readFileSync(file));
  writeFileSync(`${file}.sha256`, `${hash}  hearth-${version}.tar.gz\n`);
  process.stdout.write(`${file}\nsha256 ${hash}\ninstall with: hearth update ${file} --sha256 ${hash}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}
function fail(message) {
  process.stderr.write(`release: ${message}\n`);
  process.exit(1);
}
