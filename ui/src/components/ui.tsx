import { isValidElement, type ButtonHTMLAttributes, type ComponentChildren, type LooseInputHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';
import type { ApiError } from '../api/client';
import { plainError } from '../lib/plain';

/**
 * An error in place, as a sentence; the code and the API's own words only in a details line.
 * role=alert so screen readers hear it.
 */
export function ErrorNote({ error, children, id }: { error?: unknown; children?: ComponentChildren; id?: string }) {
  if (!error && !children) return null;
  const plain = error ? plainError(error) : undefined;
  const details = [plain?.code && plain.code !== 'NETWORK' ? plain.code : '', plain?.detail ?? ''].filter(Boolean).join(' · ');
  return (
    <div class="error" role="alert" id={id}>
      <p class="sentence">{children ?? plain?.sentence}</p>
      {details ? <p class="details small">Details: {details}</p> : null}
    </div>
  );
}

/**
 * A button for a request: while it runs it says so (aria-busy) but stays focusable, so keyboard
 * focus stays on it (a disabled button would drop focus to the page); clicks meanwhile are ignored.
 */
export function BusyButton({ busy, busyText, children, onClick, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { busy: boolean; busyText?: string }) {
  return (
    <button
      type="button"
      {...rest}
      aria-busy={busy || undefined}
      aria-disabled={busy || rest.disabled ? true : undefined}
      onClick={(e) => {
        if (busy) return e.preventDefault(); // a submit button: no second submission either
        (onClick as ((ev: typeof e) => void) | undefined)?.(e);
      }}
    >
      {busy && busyText ? busyText : children}
    </button>
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
  /** An error about this field (an API error, or a sentence): shown beside it, and the input marked invalid. */
  error?: unknown;
};

/** A labelled input (label/for), with an optional hint and error tied by aria-describedby. */
export function Field({ label, hint, onValue, id, error, ...rest }: InputProps) {
  const auto = useId();
  const fid = (id as string | undefined) ?? auto;
  const described = [hint ? `${fid}-hint` : '', error ? `${fid}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={fid}>{label}</label>
      <input
        id={fid}
        aria-describedby={described || undefined}
        aria-invalid={error ? true : undefined}
        onInput={(e) => onValue?.((e.target as HTMLInputElement).value)}
        {...(rest as Record<string, unknown>)}
      />
      {hint ? (
        <small id={`${fid}-hint`} class="hint">
          {hint}
        </small>
      ) : null}
      {error ? isValidElement(error) ? <ErrorNote id={`${fid}-error`}>{error}</ErrorNote> : <ErrorNote id={`${fid}-error`} error={error} /> : null}
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
