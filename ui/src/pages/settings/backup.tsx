import { useState } from 'preact/hooks';
import { post } from '../../api/client';
import { ErrorNote } from '../../components/ui';

/** Export the settings as a JSON file; import one exported from this or another hub. */
export function SettingsBackup({ onImported }: { onImported: () => void }) {
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');
  async function importFile(file: File) {
    setError(undefined);
    setDone('');
    try {
      const doc = JSON.parse(await file.text()) as unknown;
      const res = await post<{ changed: string[]; restart_required: string[] }>('/settings/import', doc);
      setDone(
        `Imported: ${res.changed.length} settings changed${res.restart_required.length ? `; restart the hub for ${res.restart_required.join(', ')}` : ''}.`,
      );
      onImported();
    } catch (err) {
      setError(err instanceof SyntaxError ? new Error(`That file is not JSON: ${err.message}`) : err);
    }
  }
  return (
    <section class="card" aria-labelledby="backup-title">
      <h2 id="backup-title">Export and import</h2>
      <p>The export holds your changes to the settings, secrets included: keep the file safe.</p>
      <div class="row">
        <a class="button" href="/api/v1/settings/export" download="hearth-settings.json">
          Export settings
        </a>
        <label class="button file">
          Import settings…
          <input
            type="file"
            accept="application/json,.json"
            class="sr-only"
            onChange={(e) => {
              const f = (e.target as HTMLInputElement).files?.[0];
              if (f) void importFile(f);
            }}
          />
        </label>
      </div>
      <div aria-live="polite">{done ? <p class="result ok">{done}</p> : null}</div>
      <ErrorNote error={error} />
    </section>
  );
}
