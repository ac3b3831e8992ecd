import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/**
 * A secret shown this once (API token, device password): a read-only field (select-all works
 * everywhere), Copy and Done. `children` go between the field and the buttons.
 */
export function ShownOnce({
  id,
  label,
  value,
  hint,
  children,
  onDone,
}: {
  id: string;
  label: string;
  value: string;
  hint: string;
  children?: ComponentChildren;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState('');
  async function copy() {
    try {
      // The Clipboard API needs a secure context; a hub opened as http://192.168.x.y is not one.
      await navigator.clipboard.writeText(value);
      setCopied('Copied.');
    } catch {
      (document.getElementById(id) as HTMLInputElement | null)?.select();
      setCopied(document.execCommand('copy') ? 'Copied.' : 'Select it and copy it by hand.');
    }
  }
  return (
    <div class="notice secret" role="region" aria-labelledby={`${id}-label`}>
      <div class="field">
        <label for={id} id={`${id}-label`}>
          {label}
        </label>
        <input id={id} readOnly value={value} aria-describedby={`${id}-hint`} onFocus={(e) => (e.target as HTMLInputElement).select()} />
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      </div>
      {children}
      <div class="row">
        <button type="button" class="primary" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
        <span aria-live="polite">{copied}</span>
      </div>
    </div>
  );
}
