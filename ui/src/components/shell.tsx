import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useEventStatus } from '../api/events';
import { useLocation } from '../lib/router';
import { isOwner, mayAudit, useSession } from '../lib/session';
import { roleWords } from '../lib/format';
import { usePendingCount } from '../pages/approvals/pending-count';
import { Toasts } from './toasts';
import { Boundary } from './boundary';
import { Chat } from './chat';

/** The frame of every signed-in page: skip link, home name, menu, live-connection state. */
export function Shell({ children }: { children: ComponentChildren }) {
  const { me, home, signOut } = useSession();
  const { path } = useLocation();
  const live = useEventStatus();
  const pending = usePendingCount();

  // Move focus to the page title on navigation, so keyboard and screen-reader users land there.
  const first = useRef(true);
  useEffect(() => {
    // Not on first load: there the first Tab should reach the skip link.
    if (!first.current) document.getElementById('page-title')?.focus({ preventScroll: true });
    first.current = false;
    document.title = `${titleOf(path)} · Hearth`;
  }, [path]);

  const items: Array<[string, string, boolean]> = [
    ['/', 'Home', true],
    ['/devices', 'Devices', true],
    ['/approvals', 'Approvals', true],
    ['/workflows', 'Workflows', isOwner(me.role) || me.role === 'adult'],
    ['/people', 'People', isOwner(me.role) || me.role === 'adult'],
    ['/audit', 'Audit', mayAudit(me.role)],
    ['/health', 'Health', true],
    ['/settings', 'Settings', isOwner(me.role)],
    ['/access', 'Access', true],
  ];
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ⌂
          </span>
          <span class="home-name">{home}</span>
          <span class={`live ${live}`} title={live === 'live' ? 'Live updates on' : 'Live updates reconnecting'}>
            <span class="sr-only">Live updates: </span>
            {live === 'live' ? 'live' : live === 'connecting' ? 'connecting…' : 'offline'}
          </span>
        </div>
        <div class="who">
          <a href="/account" class="quiet" title="My account">
            {me.display_name} <small>({roleWords[me.role]})</small>
          </a>
          <button type="button" class="link" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
        <nav aria-label="Main">
          <ul>
            {items
              .filter(([, , show]) => show)
              .map(([href, label]) => {
                const active = href === '/' ? path === '/' : path.startsWith(href);
                return (
                  <li key={href}>
                    <a href={href} aria-current={active ? 'page' : undefined}>
                      {label}
                      {href === '/approvals' && pending > 0 ? (
                        <span class="badge" aria-label={`${pending} pending`}>
                          {pending}
                        </span>
                      ) : null}
                    </a>
                  </li>
                );
              })}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Boundary key={path}>{children}</Boundary>
      </main>
      <Chat />
      <Toasts />
    </>
  );
}

function titleOf(path: string): string {
  const p = path.split('/')[1] ?? '';
  return p ? p.charAt(0).toUpperCase() + p.slice(1) : 'Home';
}
