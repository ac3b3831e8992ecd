import type { ComponentChildren, LooseInputHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';
import { ApiError } from '../api/client';

/** An API error in place, in the API's words; role=alert so screen readers hear it. */
export function ErrorNote({ error, children }: { error?: unknown; children?: ComponentChildren }) {
  if (!error && !children) return null;
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <p class="error" role="alert">
      {children ?? (error instanceof Error ? error.message : String(error))}
      {code && code !== 'NETWORK' ? <span class="code"> ({code})</span> : null}
    </p>
  );
}

export function Notice({ children, tone = 'info' }: { children: ComponentChildren; tone?: 'info' | 'ok' | 'warn' }) {
  return (
    <p class={`notice ${tone}`} role="status">
      {children}
    </p>
  );
}

type InputProps = Omit<LooseInputHTMLAttributes<HTMLInputElement>, 'value'> & {
  label: string;
  hint?: string;
  value?: string;
  list?: string;
  onValue?: (v: string) => void;
};

/** A labelled input (label/for), with an optional hint tied by aria-describedby. */
export function Field({ label, hint, onValue, id, ...rest }: InputProps) {
  const auto = useId();
  const fid = (id as string | undefined) ?? auto;
  return (
    <div class="field">
      <label for={fid}>{label}</label>
      <input
        id={fid}
        aria-describedby={hint ? `${fid}-hint` : undefined}
        onInput={(e) => onValue?.((e.target as HTMLInputElement).value)}
        {...(rest as Record<string, unknown>)}
      />
      {hint ? (
        <small id={`${fid}-hint`} class="hint">
          {hint}
        </small>
      ) : null}
    </div>
  );
}

export function Select({
  label,
  value,
  onValue,
  options,
  hint,
}: {
  label: string;
  value: string;
  onValue: (v: string) => void;
  options: Array<[string, string]>;
  hint?: string;
}) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} aria-describedby={hint ? `${id}-hint` : undefined} onChange={(e) => onValue((e.target as HTMLSelectElement).value)}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      {hint ? (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      ) : null}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

export function PageHead({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-head">
      <h1 id="page-title" tabIndex={-1}>
        {title}
      </h1>
      {children ? <div class="page-actions">{children}</div> : null}
    </header>
  );
}

/** A 403 from the server, shown as what it is rather than as a broken page. */
export function Forbidden({ error }: { error: ApiError }) {
  return (
    <section class="card">
      <h2>Not for this account</h2>
      <ErrorNote error={error} />
      <p>Ask the home's owner if you need this.</p>
    </section>
  );
}

export function StatusDot({ status }: { status: string }) {
  const tone =
    status === 'ok' || status === 'live'
      ? 'ok'
      : status === 'degraded' || status === 'starting' || status === 'connecting'
        ? 'warn'
        : status === 'disabled'
          ? 'off'
          : 'bad';
  return <span class={`dot ${tone}`} aria-hidden="true" />;
}
