import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EXIT, FatalError, errorMessage } from '../../core/errors.js';

/**
 * A release is a gzipped tarball (`npm run release` → `hearth-<version>.tar.gz`) holding one
 * folder `hearth-<version>/` with what `npm run build` made and what runs it: `bin/`, `dist/`,
 * `ui/dist/`, `config/`, `systemd/`, `installer/`, `docs/`, `package.json`,
 * `package-lock.json`, `README.md`, `release.json` and, unless built `--without-modules`, the
 * production `node_modules/` for one platform (native addons are built per CPU and Node ABI).
 */
export const releaseManifestSchema = z.object({
  name: z.literal('hearth'),
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/, 'a version of letters, digits, dots, plus and minus signs'),
  built_at: z.string(),
  /** `<platform>-<arch>-abi<NODE_MODULE_VERSION>` of the node_modules inside, or null without them. */
  modules: z.string().nullable(),
  /** SHA-256 of package-lock.json: a release without modules reuses the current one's when it matches. */
  lock_sha256: z.string(),
});
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;

export const RELEASES_DIR = 'releases';
export const CURRENT_LINK = 'current';
/** `<platform>-<arch>-abi<N>`: what a release's native modules were built for. */
export const thisPlatform = (): string => `${process.platform}-${process.arch}-abi${process.versions.modules}`;

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A release from a file, or an https:// (or, on loopback, http://) URL, into `dir`. */
export async function fetchRelease(source: string, dir: string): Promise<string> {
  if (!/^https?:\/\//.test(source)) {
    if (!existsSync(source)) throw new FatalError(`no release file ${source}`, EXIT.usage);
    return source;
  }
  const url = new URL(source);
  if (url.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new FatalError('a release URL must be https:// (plain http only on loopback)', EXIT.usage);
  }
  const res = await fetch(url, { signal: AbortSignal.timeout(10 * 60_000) }).catch((err: unknown) => {
    throw new FatalError(`cannot download ${source}: ${errorMessage(err)}`, EXIT.unavailable);
  });
  if (!res.ok) throw new FatalError(`cannot download ${source}: HTTP ${res.status}`, EXIT.unavailable);
  const file = join(dir, 'download.tar.gz');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()), { mode: 0o600 });
  return file;
}

/**
 * Checks the tarball against the SHA-256 the owner was given, unpacks it into
 * `<prefix>/releases/<version>` (through a staging folder, renamed into place), and makes sure it
 * has its node_modules. Returns its manifest. Nothing is unpacked when the hash differs.
 */
export function unpackRelease(tarball: string, sha256: string, prefix: string, current: string | undefined): { manifest: ReleaseManifest; dir: string } {
  const actual = sha256File(tarball);
  if (actual !== sha256.toLowerCase()) throw new FatalError(`the release's SHA-256 is ${actual}, not ${sha256}: refusing to unpack it`, EXIT.dataErr);
  const releases = join(prefix, RELEASES_DIR);
  mkdirSync(releases, { recursive: true, mode: 0o755 });
  const stage = join(releases, `.staging-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { mode: 0o755 });
  try {
    const tar = spawnSync('tar', ['-xzf', tarball, '-C', stage, '--no-same-owner'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new FatalError(`cannot unpack the release: ${tar.stderr.trim() || `tar exited ${tar.status}`}`, EXIT.dataErr);
    const top = readdirSync(stage);
    if (top.length !== 1 || !top[0]!.startsWith('hearth-'))
      throw new FatalError('not a Hearth release: expected one folder hearth-<version>/ inside', EXIT.dataErr);
    const root = join(stage, top[0]!);
    const manifest = readManifest(root);
    if (top[0] !== `hearth-${manifest.version}`)
      throw new FatalError(`the release's folder ${top[0]} does not match its version ${manifest.version}`, EXIT.dataErr);
    if (manifest.version === current) throw new FatalError(`version ${manifest.version} is already the current release`, EXIT.usage);
    if (!existsSync(join(root, 'bin/hearth.js')) || !existsSync(join(root, 'dist/bundle/hearth.mjs'))) {
      throw new FatalError('not a Hearth release: bin/hearth.js or dist/bundle/hearth.mjs is missing', EXIT.dataErr);
    }
    provideModules(root, manifest, current ? join(releases, current) : undefined);
    const dir = join(releases, manifest.version);
    rmSync(dir, { recursive: true, force: true }); // an older unpacking of the same version that never became current
    renameSync(root, dir);
    return { manifest, dir };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export function readManifest(root: string): ReleaseManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(root, 'release.json'), 'utf8'));
  } catch {
    throw new FatalError('not a Hearth release: release.json is missing or not JSON', EXIT.dataErr);
  }
  const parsed = releaseManifestSchema.safeParse(raw);
  if (!parsed.success) throw new FatalError(`bad release.json: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`, EXIT.dataErr);
  return parsed.data;
}

/**
 * The release's own modules when it has them (for this platform only); else the current
 * release's, hard-linked, when the lock files match; else `npm ci --omit=dev` (needs the network).
 */
function provideModules(root: string, manifest: ReleaseManifest, currentDir: string | undefined): void {
  if (manifest.modules !== null) {
    if (manifest.modules !== thisPlatform()) {
      throw new FatalError(`the release's modules are built for ${manifest.modules}; this box is ${thisPlatform()}: use a release built for it`, EXIT.dataErr);
    }
    return;
  }
  const currentLock = currentDir && existsSync(join(currentDir, 'package-lock.json')) ? sha256File(join(currentDir, 'package-lock.json')) : undefined;
  if (currentDir && currentLock === manifest.lock_sha256 && existsSync(join(currentDir, 'node_modules'))) {
    const linked = spawnSync('cp', ['-a', '--link', join(currentDir, 'node_modules'), root]);
    if (linked.status === 0) return;
    rmSync(join(root, 'node_modules'), { recursive: true, force: true });
    const copied = spawnSync('cp', ['-a', join(currentDir, 'node_modules'), root], { encoding: 'utf8' });
    if (copied.status === 0) return;
    throw new FatalError(`cannot copy the current release's modules: ${copied.stderr.trim()}`, EXIT.cantCreate);
  }
  const npm = spawnSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, encoding: 'utf8' });
  if (npm.status !== 0) throw new FatalError(`npm ci in the new release failed: ${(npm.stderr || npm.stdout).trim().slice(-500)}`, EXIT.unavailable);
}
