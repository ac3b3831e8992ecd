import { useState } from 'preact/hooks';
import { API, api, messageOf, post } from '../api/client';
import type { BackupsStatus } from '../api/types';
import { ago, dateTime } from '../lib/format';
import { useApi } from '../lib/use-api';
import { ErrorNote, Field, Notice } from '../components/ui';

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

/** Health → Backups: the last good backup and its age, "Back up now", a download per file, the passphrase. */
export function HealthBackups() {
  const res = useApi<BackupsStatus>('/backups');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ tone: 'ok' | 'warn'; text: string } | undefined>();
  const [pass, setPass] = useState('');
  const b = res.data;
  const backUpNow = async () => {
    setBusy(true);
    try {
      const f = await post<{ name: string }>('/backups');
      setNote({ tone: 'ok', text: `Backup ${f.name} written.` });
    } catch (err) {
      setNote({ tone: 'warn', text: messageOf(err) });
    } finally {
      setBusy(false);
      void res.reload();
    }
  };
  const setPassphrase = async (e: Event) => {
    e.preventDefault();
    try {
      await api('PUT', '/backups/passphrase', { passphrase: pass });
      setPass('');
      setNote({ tone: 'ok', text: 'Backup passphrase set. Write it down and keep it away from the hub: a restore needs it.' });
    } catch (err) {
      setNote({ tone: 'warn', text: messageOf(err) });
    }
    void res.reload();
  };
  return (
    <section aria-labelledby="backups-title">
      <h2 id="backups-title">Backups</h2>
      <ErrorNote error={res.error} />
      {note ? <Notice tone={note.tone}>{note.text}</Notice> : null}
      {b ? (
        <>
          <p>
            {b.last_good ? (
              <>
                Last good backup: <strong>{ago(b.last_good.at)}</strong> ({dateTime(b.last_good.at)}).
              </>
            ) : (
              'No backup has been made yet.'
            )}{' '}
            {b.passphrase_set && b.enabled && b.next_due ? `Next one: ${dateTime(b.next_due)}.` : null}
          </p>
          {b.last_error ? (
            <Notice tone="warn">
              The last attempt failed ({dateTime(b.last_error.at)}): {b.last_error.reason}
            </Notice>
          ) : null}
          {b.copy_error ? <Notice tone="warn">The copy to the second folder failed: {b.copy_error}</Notice> : null}
          {b.passphrase_set ? (
            <button type="button" disabled={busy || b.running} onClick={() => void backUpNow()}>
              {busy ? 'Backing up…' : 'Back up now'}
            </button>
          ) : (
            <p class="muted">Backups are encrypted with a passphrase you choose. Set one to turn on daily backups.</p>
          )}
          <form onSubmit={(e) => void setPassphrase(e)} class="row">
            <Field
              label={b.passphrase_set ? 'New backup passphrase' : 'Backup passphrase'}
              type="password"
              value={pass}
              onValue={setPass}
              hint="At least 10 characters. Hearth keeps only a key made from it."
            />
            <button type="submit" disabled={pass.length < 10}>
              {b.passphrase_set ? 'Change' : 'Set'}
            </button>
          </form>
          {b.files.length ? (
            <ul class="backups">
              {b.files.map((f) => (
                <li key={f.name} class="card compact row spread">
                  <span>
                    {dateTime(f.at)} · {size(f.bytes)}
                    {f.copied ? ' · also on the second folder' : ''}
                  </span>
                  <a href={`${API}/backups/files/${encodeURIComponent(f.name)}`} download={f.name}>
                    Download
                  </a>
                </li>
              ))}
            </ul>
          ) : null}
          <p class="muted small">{b.restore}</p>
        </>
      ) : null}
    </section>
  );
}
