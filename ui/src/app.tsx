import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, get, onSignedOut, post } from './api/client';
import { connectEvents, disconnectEvents } from './api/events';
import type { Me, SetupState } from './api/types';
import { setHomeTimeZone } from './lib/format';
import { ErrorNote, Loading } from './components/ui';
import { Shell } from './components/shell';
import { navigate, useLocation } from './lib/router';
import { SessionContext, type Session } from './lib/session';
import { LoginPage } from './pages/login';
import { SetupWizard } from './pages/setup/wizard';
import { HomePage } from './pages/home/home';
import { ApprovalsPage } from './pages/approvals/approvals';
import { PeoplePage } from './pages/people/people';
import { AuditPage } from './pages/audit';
import { HealthPage } from './pages/health';
import { SettingsPage } from './pages/settings/settings';
import { AccessPage } from './pages/access/access';
import { DevicesRoute } from './pages/devices/devices';
import { AccountPage } from './pages/account/account';
import { WorkflowsPage } from './pages/workflows';

type Boot = { kind: 'loading' } | { kind: 'error'; error: unknown } | { kind: 'setup' } | { kind: 'signed-out' } | { kind: 'signed-in'; me: Me; home: string };

/**
 * Decides what the visitor sees from the server's state: a hub that still needs its owner
 * shows the first-run wizard; otherwise the sign-in, or the app.
 */
export function App() {
  const [boot, setBoot] = useState<Boot>({ kind: 'loading' });
  const loc = useLocation();

  const load = useCallback(async () => {
    try {
      const setup = await get<SetupState>('/setup', { quiet401: true }).catch((err: unknown) => {
        // Until the members part answers, assume set up.
        if (err instanceof ApiError && err.status === 404) return { needed: false };
        throw err;
      });
      if (setup.needed) return setBoot({ kind: 'setup' });
      try {
        // The home's name and time zone come with who I am, for every role.
        const me = await get<Me>('/auth/me', { quiet401: true });
        setHomeTimeZone(me.home.timezone);
        setBoot({ kind: 'signed-in', me, home: me.home.name });
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return setBoot({ kind: 'signed-out' });
        throw err;
      }
    } catch (error) {
      setBoot({ kind: 'error', error });
    }
  }, []);

  useEffect(() => {
    void load();
    return onSignedOut(() => setBoot((b) => (b.kind === 'signed-in' ? { kind: 'signed-out' } : b)));
  }, [load]);

  const signedIn = boot.kind === 'signed-in';
  useEffect(() => {
    if (signedIn) connectEvents();
    else disconnectEvents();
  }, [signedIn]);

  if (boot.kind === 'loading') return <Loading what="Opening Hearth" />;
  if (boot.kind === 'error')
    return (
      <main class="narrow" id="main">
        <h1>Hearth</h1>
        <ErrorNote error={boot.error} />
        <button type="button" onClick={() => void load()}>
          Try again
        </button>
      </main>
    );
  if (boot.kind === 'setup' || (loc.path === '/setup' && !signedIn)) {
    return <SetupWizard signedIn={null} onAccount={load} />;
  }
  if (boot.kind === 'signed-out') return <LoginPage onSignedIn={load} />;

  const session: Session = {
    me: boot.me.member,
    home: boot.home,
    household: boot.me.household,
    refresh: load,
    signOut: async () => {
      await post('/auth/logout').catch(() => undefined);
      disconnectEvents();
      navigate('/', true);
      setBoot({ kind: 'signed-out' });
    },
  };
  return (
    <SessionContext.Provider value={session}>
      <Shell>{page(loc.path, boot.me)}</Shell>
    </SessionContext.Provider>
  );
}

function page(path: string, me: Me) {
  if (path === '/setup') return <SetupWizard signedIn={me} onAccount={async () => undefined} />;
  if (path.startsWith('/devices')) return <DevicesRoute />;
  if (path.startsWith('/account')) return <AccountPage />;
  if (path.startsWith('/approvals')) return <ApprovalsPage />;
  if (path.startsWith('/people')) return <PeoplePage />;
  if (path.startsWith('/workflows')) return <WorkflowsPage />;
  if (path.startsWith('/audit')) return <AuditPage />;
  if (path.startsWith('/health')) return <HealthPage />;
  if (path.startsWith('/settings')) return <SettingsPage />;
  if (path.startsWith('/access')) return <AccessPage />;
  return <HomePage />;
}
