import type { ComponentChildren } from 'preact';
import { useErrorBoundary } from 'preact/hooks';

/** A page that throws while drawing shows what broke, in place, instead of a blank screen. */
export function Boundary({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary((err: unknown) => console.error('page failed', err));
  if (error) {
    return (
      <section class="card" role="alert">
        <h1 id="page-title" tabIndex={-1}>
          This page failed
        </h1>
        <p class="error">{error instanceof Error ? error.message : String(error)}</p>
        <button type="button" onClick={reset}>
          Try again
        </button>
      </section>
    );
  }
  return <>{children}</>;
}
