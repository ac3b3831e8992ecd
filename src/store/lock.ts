import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, FatalError } from '../core/errors.js';

/**
 * One hub per data directory. The lock file holds the owner's pid; a lock left by a
 * process that no longer exists (a SIGKILL, a power cut) is taken over.
 */
export class DataDirLock {
  private readonly path: string;
  private held = false;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'hearth.lock');
  }

  acquire(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.path, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = this.ownerPid();
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
        throw new FatalError(
          `another Hearth (pid ${owner}) is already running on data directory ${this.path.slice(0, -'/hearth.lock'.length)}; stop it first or use --data for another directory`,
          EXIT.tempFail,
        );
      }
      try {
        unlinkSync(this.path); // stale: its owner is gone
      } catch {
        /* another starter removed it first; retry */
      }
    }
    throw new FatalError(`could not take the lock ${this.path}`, EXIT.tempFail);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      if (this.ownerPid() === process.pid) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }

  private ownerPid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.path, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
