import { readFileSync } from 'node:fs';
import type { HubContext } from '../part/context.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import { errorMessage } from '../core/errors.js';
import type { HubEvents } from '../core/bus.js';
import { topicsFor, type BackupChunk } from './messages.js';
import type { LinkService } from './service.js';

const RETRY_MS = 15_000;

/**
 * The relay's copy of each automatic backup (issue 16): the sealed file, which the relay cannot
 * read, sent in `link.backup_chunk_kb` pieces on `up/backup` (QoS 1, one at a time). The relay
 * joins them and checks the SHA-256. Not through the outbox: the file is already on disk, and a
 * copy of it in the database would double what the SD card holds. Only the newest backup waits
 * to go; a backup that could not go before a restart goes with the next one.
 */
export class BackupCopier implements Service {
  readonly name = 'link-backup-copy';
  readonly optional = true;
  private pending?: HubEvents['backup.written'];
  private sending = false;
  private timer?: NodeJS.Timeout;
  private off?: () => void;
  private last?: { name: string; at: number; error?: string };

  constructor(
    private readonly ctx: HubContext,
    private readonly link: LinkService,
  ) {}

  start(): void {
    if (!this.link.enabled || !this.ctx.settings.get().link.backup_to_relay) return;
    this.off = this.ctx.bus.on('backup.written', (b) => {
      this.pending = b;
      void this.send();
    });
    this.timer = setInterval(() => void this.send(), RETRY_MS);
    this.timer.unref();
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  health(): ComponentHealth {
    if (!this.link.enabled || !this.ctx.settings.get().link.backup_to_relay) return { status: 'disabled', detail: 'backups are not copied to the relay' };
    if (this.last?.error) return { status: 'ok', detail: `the copy of ${this.last.name} to the relay waits: ${this.last.error}` };
    return { status: 'ok', detail: this.last ? `${this.last.name} copied to the relay` : 'no backup copied to the relay yet' };
  }

  /** Sends the waiting backup when online; resolves true when it went. Public for tests. */
  async send(): Promise<boolean> {
    const b = this.pending;
    const client = this.link.client;
    if (!b || !client || this.sending || !this.link.id) return false;
    this.sending = true;
    try {
      const sealed = readFileSync(b.file);
      const size = this.ctx.settings.get().link.backup_chunk_kb * 1024;
      const count = Math.max(1, Math.ceil(sealed.length / size));
      const topic = topicsFor(this.link.id).upBackup;
      for (let index = 0; index < count; index++) {
        const chunk: BackupChunk = {
          v: 1,
          hub_id: this.link.id,
          name: b.name,
          sha256: b.sha256,
          download_sha256: b.download_sha256,
          bytes: sealed.length,
          index,
          count,
          data: sealed.subarray(index * size, (index + 1) * size).toString('base64'),
        };
        await client.publishAsync(topic, JSON.stringify(chunk), { qos: 1 });
      }
      if (this.pending === b) this.pending = undefined;
      this.last = { name: b.name, at: this.ctx.clock.now() };
      this.ctx.log.info({ file: b.name, bytes: sealed.length, pieces: count }, 'backup copied to the relay');
      return true;
    } catch (err) {
      // A backup pruned meanwhile is gone for good; anything else goes again on the next try.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && this.pending === b) this.pending = undefined;
      this.last = { name: b.name, at: this.ctx.clock.now(), error: errorMessage(err) };
      this.ctx.log.warn({ file: b.name, err: errorMessage(err) }, 'backup copy to the relay failed; it will be tried again');
      return false;
    } finally {
      this.sending = false;
    }
  }
}
