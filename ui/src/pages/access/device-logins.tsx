import { useEffect, useState } from 'preact/hooks';
import { del, post } from '../../api/client';
import type { CreatedDeviceLogin, CreateDeviceLoginBody, DeviceCredential, DeviceCredentialList, HealthReport, Settings } from '../../api/types';
import { ErrorNote, Field, Loading, Notice } from '../../components/ui';
import { ago, dateTime } from '../../lib/format';
import { useNames } from '../../lib/names';
import { useApi } from '../../lib/use-api';
import { ShownOnce } from './shown-once';

// The server's rule (usernameSchema in src/devices/credentials.ts), restated because importing
// the schema would bundle zod; the server still decides, and its refusal is shown in place.
const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;

interface Broker {
  enabled: boolean;
  host: string;
  port: number;
  tls?: number;
  /** The broker listens on loopback, or the page was opened as localhost: not an address for a device. */
  local: boolean;
}

/** Where a device should connect, from the settings (owner) and the broker's health line. */
function useBroker(): { broker?: Broker; error?: unknown } {
  const settings = useApi<Settings>('/settings');
  const [detail, setDetail] = useState<string>();
  useEffect(() => {
    // /health answers 503 with the same report when something is down: read the body anyway.
    fetch('/api/v1/health', { headers: { accept: 'application/json' } })
      .then(async (r) => setDetail(((await r.json()) as HealthReport).components?.['mqtt.broker']?.detail ?? ''))
      .catch(() => setDetail(''));
  }, []);
  const m = settings.data?.mqtt;
  if (!m || detail === undefined) return { error: settings.error };
  // 0.0.0.0 or :: is every interface: the address this browser used reaches the same machine.
  const host = !m.host || m.host === '0.0.0.0' || m.host === '::' ? location.hostname : m.host;
  // Port 0 in the settings means "any free port": the broker's health says which one it got.
  const port = Number(/listening on \S*:(\d+)/.exec(detail)?.[1]) || m.port;
  const tls = Number(/TLS on (\d+)/.exec(detail)?.[1]) || m.tls_port || undefined;
  return { broker: { enabled: m.enabled, host, port, tls, local: /^(localhost|127\.|\[?::1\]?$)/.test(host) } };
}

/** Logins for devices on the hub's own MQTT broker (owner only): list, create (password once), delete. */
export function DeviceLogins() {
  const list = useApi<DeviceCredentialList>('/devices/credentials');
  const { broker, error: brokerError } = useBroker();
  const names = useNames();
  const [created, setCreated] = useState<CreatedDeviceLogin>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');

  async function remove(c: DeviceCredential) {
    if (!confirm(`Delete the device login “${c.username}”? Devices using it are disconnected at once and cannot connect again.`)) return;
    setError(undefined);
    setDone('');
    try {
      await del(`/devices/credentials/${encodeURIComponent(c.username)}`);
      if (created?.username === c.username) setCreated(undefined);
      setDone(`“${c.username}” deleted; devices using it were disconnected.`);
      await list.reload();
    } catch (err) {
      setError(err);
    }
  }

  const logins = list.data?.credentials ?? [];
  return (
    <section class="card access" aria-labelledby="devices-title" id="devices">
      <h2 id="devices-title">Device logins</h2>
      <p class="muted">
        For devices on this hub’s own MQTT broker, such as a Tasmota plug or a Zigbee2MQTT bridge: give each device its own login. The hub keeps only a hash of
        each password.
      </p>
      <ErrorNote error={brokerError} />
      {broker && !broker.enabled ? (
        <Notice tone="warn">The hub’s MQTT broker is turned off (mqtt.enabled), so no device can connect with these logins.</Notice>
      ) : null}
      <LoginForm
        onCreated={(c) => {
          setCreated(c);
          setDone('');
          void list.reload();
        }}
      />
      {created ? <NewLogin login={created} broker={broker} onDone={() => setCreated(undefined)} /> : null}
      <ErrorNote error={list.error ?? error} />
      <div aria-live="polite">{done ? <p class="result ok">{done}</p> : null}</div>
      {!list.data && !list.error ? <Loading /> : null}
      {list.data && logins.length === 0 ? <p class="muted">No device logins yet.</p> : null}
      <ul class="history logins">
        {logins.map((c) => (
          <li key={c.username} class="card compact" data-login={c.username}>
            <div class="row spread">
              <strong class="wrap">{c.username}</strong>
              <button type="button" class="danger" onClick={() => void remove(c)} aria-label={`Delete the device login ${c.username}`}>
                Delete
              </button>
            </div>
            {c.description ? <p class="wrap">{c.description}</p> : null}
            <p class="muted small">
              Made {dateTime(c.created_at)} by {names.member(c.created_by)} · {c.last_used_at ? `last connected ${ago(c.last_used_at)}` : 'never connected'}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function LoginForm({ onCreated }: { onCreated: (c: CreatedDeviceLogin) => void }) {
  const [username, setUsername] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>();
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);

  async function create(e: Event) {
    e.preventDefault();
    setError(undefined);
    const bad = !USERNAME.test(username);
    setInvalid(bad);
    if (bad) {
      document.getElementById('device-username')?.focus();
      return setError(new Error('A device username is letters, digits, _ . and - only, at most 64 characters.'));
    }
    setBusy(true);
    try {
      const body: CreateDeviceLoginBody = { username, ...(note.trim() ? { description: note.trim() } : {}) };
      onCreated(await post<CreatedDeviceLogin>('/devices/credentials', body));
      setUsername('');
      setNote('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={create} noValidate>
      <h3>Add a device</h3>
      <Field
        id="device-username"
        label="Device username"
        value={username}
        onValue={setUsername}
        maxLength={64}
        autocomplete="off"
        autocapitalize="off"
        spellcheck={false}
        aria-invalid={invalid || undefined}
        hint="What the device signs in as, such as kitchen-plug or zigbee2mqtt: letters, digits, _ . and -."
      />
      <Field label="Device note (optional)" value={note} onValue={setNote} maxLength={200} hint="Where it is or what it is, such as “plug by the kettle”." />
      <ErrorNote error={error} />
      <button type="submit" class="primary" disabled={busy}>
        Create the login
      </button>
    </form>
  );
}

/** The password this once, with where to connect and the settings two common firmwares want. */
function NewLogin({ login, broker, onDone }: { login: CreatedDeviceLogin; broker?: Broker; onDone: () => void }) {
  const { username: u, password: p } = login;
  const url = broker ? `mqtt://${broker.host}:${broker.port}` : '';
  return (
    <ShownOnce
      id="device-password"
      label={`Password for “${u}”`}
      value={p}
      hint="Copy it now: it will not be shown again. The hub keeps only a hash of it."
      onDone={onDone}
    >
      {broker ? (
        <>
          <p>
            Broker <code data-broker>{url}</code>
            {broker.tls ? (
              <>
                {' '}
                or, with TLS, <code>{`mqtts://${broker.host}:${broker.tls}`}</code>
              </>
            ) : null}
            , username <code>{u}</code>.
          </p>
          {broker.local ? (
            <p class="muted small">
              That address works only on the hub itself: a device needs the hub’s address on your home network (and mqtt.host not on loopback).
            </p>
          ) : null}
          <p class="small">
            <strong>Tasmota</strong> (console): <code>{`Backlog MqttHost ${broker.host}; MqttPort ${broker.port}; MqttUser ${u}; MqttPassword ${p}`}</code>
          </p>
          <p class="small">
            <strong>Zigbee2MQTT</strong> (configuration.yaml): <code>{`mqtt: {server: ${url}, user: ${u}, password: ${p}}`}</code> and{' '}
            <code>homeassistant: {'{enabled: true}'}</code>
          </p>
        </>
      ) : (
        <Loading what="Finding the broker’s address" />
      )}
    </ShownOnce>
  );
}
