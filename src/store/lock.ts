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
      if (owner !== undefined && owner !== process.pid && isAlive(owner) && mayBeHearth(owner)) {
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

/**
 * After a power cut the lock survives but pids are handed out again from the start, so the
 * recorded pid is often alive as some unrelated process (a daemon started early in boot), and
 * the hub would refuse to start until someone deleted the lock. Where /proc shows what runs
 * under the pid, anything but a Node process is not us; elsewhere assume it may be.
 */
function mayBeHearth(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  const argv = cmdline.split('\0').filter(Boolean);
  if (argv.length === 0) return true; // a zombie or a kernel thread: cannot tell
  const exe = argv[0]!.slice(argv[0]!.lastIndexOf('/') + 1);
  return /node|hearth/i.test(exe) || exe === process.execPath.slice(process.execPath.lastIndexOf('/') + 1) || argv.some((a) => /hearth/i.test(a));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
