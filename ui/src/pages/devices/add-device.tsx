import { useState } from 'preact/hooks';
import { post } from '../../api/client';
import type { CreatedDeviceLogin, Entity } from '../../api/types';
import { useHubEvents } from '../../api/events';
import { ErrorNote, Field, PageHead } from '../../components/ui';
import { isDemo, listOf } from '../../lib/devices';
import { useApi } from '../../lib/use-api';
import { EditDevice } from './edit-device';
import { roomsOf } from './devices';
import type { EntityList } from '../../lib/devices';

type Kind = 'zigbee2mqtt' | 'tasmota' | 'esphome' | 'shelly' | 'homeassistant';
const KINDS: Array<[Kind, string, string]> = [
  ['zigbee2mqtt', 'Zigbee2MQTT', 'Zigbee lights, plugs and sensors through a Zigbee stick'],
  ['tasmota', 'Tasmota', 'Wi-Fi plugs and switches running Tasmota'],
  ['esphome', 'ESPHome', 'Boards you build yourself with ESPHome'],
  ['shelly', 'Shelly', 'Shelly relays and plugs'],
  ['homeassistant', 'Home Assistant', 'Everything an existing Home Assistant already has'],
];

interface Broker {
  running: boolean;
  port: number | null;
  tls_port: number | null;
  allow_anonymous: boolean;
}

/**
 * "Add a device": the kind, a broker login made for it, the exact settings to type into it,
 * then a live wait for its discovery, and a name and room for what arrives.
 */
export function AddDevice() {
  const [kind, setKind] = useState<Kind | null>(null);
  const [login, setLogin] = useState<CreatedDeviceLogin | null>(null);
  const [username, setUsername] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [arrived, setArrived] = useState<Entity[]>([]);
  const [done, setDone] = useState<Record<string, Entity>>({});
  const broker = useApi<Broker>('/devices/broker');
  const entities = useApi<EntityList>('/entities');

  useHubEvents(
    (e) => {
      if (!login || e.type !== 'entity.added') return;
      const entity = e.data as unknown as Entity;
      if (entity.source === 'mqtt' && !isDemo(entity)) setArrived((a) => (a.some((x) => x.id === entity.id) ? a : [...a, entity]));
    },
    [login],
  );

  function choose(k: Kind) {
    setKind(k);
    setLogin(null);
    setError(undefined);
    setArrived([]);
    setUsername(k === 'zigbee2mqtt' ? 'zigbee2mqtt' : `${k}-${Math.random().toString(36).slice(2, 6)}`);
  }

  async function makeLogin(ev: Event) {
    ev.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      setLogin(
        await post<CreatedDeviceLogin>('/devices/credentials', {
          username: username.trim(),
          description: `${KINDS.find((k) => k[0] === kind)?.[1] ?? ''} device, added from the web UI`,
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const host = location.hostname;
  const port = broker.data?.port ?? 1883;
  const rooms = roomsOf(listOf(entities.data));

  return (
    <>
      <PageHead title="Add a device" />
      <p class="muted">
        <a href="/devices">All devices</a>
      </p>
      <fieldset class="card kinds">
        <legend>1. What kind of device is it?</legend>
        {KINDS.map(([k, label, hint]) => (
          <label key={k} class="check">
            <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => choose(k)} />
            <span>
              <strong>{label}</strong> <span class="muted small">{hint}</span>
            </span>
          </label>
        ))}
      </fieldset>

      {kind === 'homeassistant' ? (
        <section class="card">
          <h2>Connect Home Assistant</h2>
          <p>
            Home Assistant is connected once, with its address and a long-lived access token (in Home Assistant: your profile → Security → Long-lived access
            tokens). Its devices then appear here by themselves, with their rooms.
          </p>
          <a class="button primary" href="/settings?tab=connections">
            Open Settings → Connections
          </a>
        </section>
      ) : null}

      {kind === 'shelly' ? (
        <section class="card">
          <h2>Shelly devices</h2>
          <p>
            Shelly firmware speaks its own MQTT topics and does not announce itself the way Hearth understands, so Hearth cannot add a Shelly directly yet. Two
            ways that work today: add it to Home Assistant and connect Home Assistant, or flash it with Tasmota and choose Tasmota above.
          </p>
        </section>
      ) : null}

      {broker.data && !broker.data.running && kind && kind !== 'homeassistant' && kind !== 'shelly' ? (
        <p class="error">
          The hub's device broker is turned off (mqtt.enabled), so devices cannot connect. Turn it on in the settings file and restart Hearth.
        </p>
      ) : null}

      {kind && kind !== 'homeassistant' && kind !== 'shelly' && broker.data?.running ? (
        <form class="card" onSubmit={makeLogin}>
          <h2>2. A login for the device</h2>
          <p class="muted">Each device signs in to the hub with its own login, so you can remove one without touching the others.</p>
          <Field
            label="Login name"
            value={username}
            onValue={setUsername}
            required
            maxLength={64}
            pattern="[A-Za-z0-9_.\-]+"
            hint="Letters, digits, _ . and -."
            disabled={Boolean(login)}
          />
          <ErrorNote error={error} />
          {login ? null : (
            <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
              {busy ? 'Making the login…' : 'Make the login'}
            </button>
          )}
        </form>
      ) : null}

      {login && kind ? (
        <section class="card" aria-labelledby="type-title">
          <h2 id="type-title">3. Type these into the device</h2>
          <p>The password is shown only now. Copy it into the device before you leave this page.</p>
          <Settings kind={kind} host={host} port={port} username={login.username} password={login.password} />
          {host === 'localhost' || host === '127.0.0.1' ? (
            <p class="notice warn">
              You opened Hearth on this computer itself: on the device, use this computer's address on your home network instead of {host}.
            </p>
          ) : null}
        </section>
      ) : null}

      {login ? (
        <section class="card" aria-labelledby="wait-title">
          <h2 id="wait-title">4. Waiting for the device</h2>
          <p role="status" aria-live="polite">
            {arrived.length === 0
              ? 'Waiting for the device to connect and announce itself… (this page updates by itself)'
              : `${arrived.length === 1 ? 'Found 1 new device' : `Found ${arrived.length} new devices`}. Give ${arrived.length === 1 ? 'it' : 'each'} a name and a room.`}
          </p>
          <ul class="device-list">
            {arrived.map((e) => (
              <li key={e.id} class="card" data-entity={e.id}>
                {done[e.id] ? (
                  <p class="result ok">
                    Saved: {done[e.id]!.name}
                    {done[e.id]!.area ? ` in ${done[e.id]!.area}` : ''}. <a href={`/devices/${encodeURIComponent(e.id)}`}>Open it</a> ·{' '}
                    <a href="/">See it on Home</a>
                  </p>
                ) : (
                  <>
                    <p class="small muted">
                      New: <code>{e.id}</code>
                    </p>
                    <EditDevice entity={e} rooms={rooms} onSaved={(next) => setDone((d) => ({ ...d, [e.id]: next }))} />
                  </>
                )}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

/** The exact settings for each kind, ready to copy. */
function Settings({ kind, host, port, username, password }: { kind: Kind; host: string; port: number; username: string; password: string }) {
  if (kind === 'zigbee2mqtt')
    return (
      <>
        <p>
          In Zigbee2MQTT's <code>configuration.yaml</code> (or its Settings → MQTT page), then restart Zigbee2MQTT:
        </p>
        <pre class="settings-block" data-testid="device-settings">{`mqtt:
  server: mqtt://${host}:${port}
  user: ${username}
  password: ${password}
homeassistant:
  enabled: true`}</pre>
      </>
    );
  if (kind === 'esphome')
    return (
      <>
        <p>
          In the device's ESPHome YAML, replacing any <code>api:</code> block, then install it again:
        </p>
        <pre class="settings-block" data-testid="device-settings">{`mqtt:
  broker: ${host}
  port: ${port}
  username: ${username}
  password: ${password}
  discovery: true`}</pre>
      </>
    );
  return (
    <>
      <p>In Tasmota's web page: Configuration → Configure MQTT. Nothing else is needed: Hearth reads Tasmota's own discovery.</p>
      <dl class="facts" data-testid="device-settings">
        <dt>Host</dt>
        <dd>
          <code>{host}</code>
        </dd>
        <dt>Port</dt>
        <dd>
          <code>{port}</code>
        </dd>
        <dt>User</dt>
        <dd>
          <code>{username}</code>
        </dd>
        <dt>Password</dt>
        <dd>
          <code>{password}</code>
        </dd>
      </dl>
    </>
  );
}
