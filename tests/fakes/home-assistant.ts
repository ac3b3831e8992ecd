import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';

/**
 * A fake Home Assistant that speaks HA's documented WebSocket API
 * (https://developers.home-assistant.io/docs/api/websocket) on 127.0.0.1, path /api/websocket:
 * auth_required → auth → auth_ok | auth_invalid (+ close); then commands with increasing ids:
 * supported_features, get_states, get_config, get_services, subscribe_events,
 * unsubscribe_events, call_service (changes the state plausibly, emits state_changed, then
 * answers), ping → pong. Anything else gets HA's unknown_command error.
 */

export interface HaStateObject {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
  last_changed: string;
  last_reported: string;
  last_updated: string;
  context: { id: string; parent_id: string | null; user_id: string | null };
}

export interface SeedState {
  entity_id: string;
  state: string;
  attributes?: Record<string, unknown>;
  /** The device the entity belongs to in HA's device registry (entities sharing a name share it). */
  device?: { name: string; manufacturer?: string; model?: string; name_by_user?: string };
}

export interface ServiceCall {
  domain: string;
  service: string;
  service_data: Record<string, unknown>;
  target?: Record<string, unknown>;
}

export interface FakeHomeAssistantOptions {
  token: string;
  port?: number;
  haVersion?: string;
  states?: SeedState[];
  runState?: 'NOT_RUNNING' | 'STARTING' | 'RUNNING';
  /** Serve wss:// with this certificate (PEM). */
  tls?: { cert: string; key: string };
}

interface Client {
  ws: WebSocket;
  authed: boolean;
  lastId: number;
  coalesce: boolean;
  frozen: boolean;
  /** subscription id → event type (undefined: all events) */
  subscriptions: Map<number, string | undefined>;
}

const USER_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const contextId = (): string => randomBytes(13).toString('hex').toUpperCase().slice(0, 26);
const context = (userId: string | null = null) => ({ id: contextId(), parent_id: null, user_id: userId });

export class FakeHomeAssistant {
  readonly states = new Map<string, HaStateObject>();
  /** Every `auth` message received, right token or not. */
  authAttempts = 0;
  invalidAuthAttempts = 0;
  /** Sockets opened (HTTP upgrades that reached the WebSocket server). */
  connections = 0;
  readonly calls: ServiceCall[] = [];
  /** Every command received after auth, in order (type and id). */
  readonly commands: { type: string; id: unknown }[] = [];
  token: string;
  /** Command types received but never answered (an HA that hangs half-way). */
  readonly unanswered = new Set<string>();
  /** Runs right after a get_states answer went out (a change HA makes in the same moment). */
  afterGetStates?: () => void;
  /** What get_config reports; HA accepts connections while still STARTING. */
  runState: 'NOT_RUNNING' | 'STARTING' | 'RUNNING' = 'RUNNING';
  /** Registry commands answer `unauthorized`, as for a token without admin rights. */
  registriesForbidden = false;
  private readonly entityRegistry: Record<string, unknown>[] = [];
  private readonly deviceRegistry: Record<string, unknown>[] = [];
  private readonly haVersion: string;
  private readonly clients = new Set<Client>();
  private server?: Server;
  private wss?: WebSocketServer;
  private requestedPort: number;
  private readonly tls?: { cert: string; key: string };

  constructor(options: FakeHomeAssistantOptions) {
    this.token = options.token;
    this.tls = options.tls;
    this.runState = options.runState ?? 'RUNNING';
    this.haVersion = options.haVersion ?? '2025.1.2';
    this.requestedPort = options.port ?? 0;
    for (const s of options.states ?? []) {
      this.states.set(s.entity_id, this.makeState(s.entity_id, s.state, s.attributes ?? {}));
      this.register(s);
    }
  }

  /** Entries in HA's entity and device registries, in the shapes config/*_registry/list return. */
  private register(seed: SeedState): void {
    const now = Date.now() / 1000;
    let device = seed.device ? this.deviceRegistry.find((d) => d.name === seed.device!.name) : undefined;
    if (seed.device && !device) {
      device = {
        area_id: null,
        configuration_url: null,
        config_entries: ['01JFAKECONFIGENTRY0000000000'],
        config_entries_subentries: {},
        connections: [],
        created_at: now,
        disabled_by: null,
        entry_type: null,
        hw_version: null,
        id: randomBytes(16).toString('hex'),
        identifiers: [['fake', seed.device.name]],
        labels: [],
        manufacturer: seed.device.manufacturer ?? null,
        model: seed.device.model ?? null,
        model_id: null,
        modified_at: now,
        name_by_user: seed.device.name_by_user ?? null,
        name: seed.device.name,
        primary_config_entry: '01JFAKECONFIGENTRY0000000000',
        serial_number: null,
        sw_version: null,
        via_device_id: null,
      };
      this.deviceRegistry.push(device);
    }
    const [platform] = seed.entity_id.split('.');
    this.entityRegistry.push({
      area_id: null,
      categories: {},
      config_entry_id: '01JFAKECONFIGENTRY0000000000',
      created_at: now,
      device_id: device ? device.id : null,
      disabled_by: null,
      entity_category: null,
      entity_id: seed.entity_id,
      has_entity_name: true,
      hidden_by: null,
      icon: null,
      id: randomBytes(16).toString('hex'),
      labels: [],
      modified_at: now,
      name: null,
      options: {},
      original_name: null,
      platform: platform ?? 'fake',
      translation_key: null,
      unique_id: `fake-${seed.entity_id}`,
    });
  }

  static async start(options: FakeHomeAssistantOptions): Promise<FakeHomeAssistant> {
    const fake = new FakeHomeAssistant(options);
    await fake.listen();
    return fake;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.requestedPort;
  }

  /** The base URL a user would configure (`homeassistant.url`). */
  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  get authedClients(): number {
    return [...this.clients].filter((c) => c.authed).length;
  }

  get subscriberCount(): number {
    return [...this.clients].filter((c) => c.authed && c.subscriptions.size > 0).length;
  }

  async listen(): Promise<void> {
    const notFound = (_req: unknown, res: { writeHead(code: number): { end(): void } }): void => res.writeHead(404).end();
    const server: Server = this.tls ? createTlsServer({ cert: this.tls.cert, key: this.tls.key }, notFound) : createServer(notFound);
    const wss = new WebSocketServer({ server, path: '/api/websocket' });
    wss.on('connection', (ws, req) => {
      req.socket.setNoDelay(true);
      this.onConnection(ws);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.requestedPort, '127.0.0.1', () => resolve());
    });
    this.requestedPort = (server.address() as AddressInfo).port;
    this.server = server;
    this.wss = wss;
  }

  /** Like HA shutting down: every socket dropped, the port closed. */
  async stop(): Promise<void> {
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    const { server, wss } = this;
    this.server = undefined;
    this.wss = undefined;
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Like a network drop: sockets cut, the server keeps listening. */
  dropConnections(): void {
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
  }

  /** Existing connections stop answering anything (a hung HA or a half-open link). */
  freezeConnections(): void {
    for (const c of this.clients) c.frozen = true;
  }

  /** Sends raw text to every authenticated client (bad frames for robustness tests). */
  sendRaw(text: string): void {
    for (const c of this.clients) if (c.authed) c.ws.send(text);
  }

  /** Changes a state as an integration would, and tells the subscribers. */
  setState(entityId: string, state: string, attributes?: Record<string, unknown>): HaStateObject {
    const old = this.states.get(entityId);
    const next = this.makeState(entityId, state, attributes ?? old?.attributes ?? {}, old);
    this.states.set(entityId, next);
    this.emitStateChanged(entityId, old ?? null, next);
    return next;
  }

  /** HA done loading its integrations: RUNNING, and homeassistant_started to subscribers. */
  finishStartup(): void {
    this.runState = 'RUNNING';
    const event = { event_type: 'homeassistant_started', data: {}, origin: 'LOCAL', time_fired: new Date().toISOString(), context: context() };
    for (const c of this.clients) {
      if (!c.authed || c.frozen) continue;
      for (const [id, type] of c.subscriptions)
        if (type === undefined || type === 'homeassistant_started') c.ws.send(JSON.stringify({ id, type: 'event', event }));
    }
  }

  removeEntity(entityId: string): void {
    const old = this.states.get(entityId);
    if (!old) return;
    this.states.delete(entityId);
    this.emitStateChanged(entityId, old, null);
  }

  private makeState(entityId: string, state: string, attributes: Record<string, unknown>, old?: HaStateObject): HaStateObject {
    const now = new Date().toISOString();
    return {
      entity_id: entityId,
      state,
      attributes: { ...attributes },
      last_changed: old && old.state === state ? old.last_changed : now,
      last_reported: now,
      last_updated: now,
      context: context(),
    };
  }

  private emitStateChanged(entityId: string, oldState: HaStateObject | null, newState: HaStateObject | null, only?: Client): unknown[] {
    const frames: unknown[] = [];
    const event = {
      event_type: 'state_changed',
      data: { entity_id: entityId, old_state: oldState, new_state: newState },
      origin: 'LOCAL',
      time_fired: new Date().toISOString(),
      context: newState?.context ?? context(),
    };
    for (const c of this.clients) {
      if (!c.authed || c.frozen) continue;
      for (const [id, type] of c.subscriptions) {
        if (type !== undefined && type !== 'state_changed') continue;
        const frame = { id, type: 'event', event };
        if (c === only) frames.push(frame);
        else c.ws.send(JSON.stringify(frame));
      }
    }
    return frames;
  }

  private onConnection(ws: WebSocket): void {
    this.connections++;
    const client: Client = { ws, authed: false, lastId: 0, coalesce: false, frozen: false, subscriptions: new Map() };
    this.clients.add(client);
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
    ws.send(JSON.stringify({ type: 'auth_required', ha_version: this.haVersion }));
    ws.on('message', (data) => {
      if (client.frozen) return;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        ws.close(1003);
        return;
      }
      if (!client.authed) this.onAuth(client, msg);
      else this.onCommand(client, msg);
    });
  }

  private onAuth(client: Client, msg: Record<string, unknown>): void {
    if (msg.type !== 'auth' || typeof msg.access_token !== 'string') {
      client.ws.send(JSON.stringify({ type: 'auth_invalid', message: 'Auth message incorrectly formatted: required key not provided' }));
      client.ws.close();
      return;
    }
    this.authAttempts++;
    if (msg.access_token !== this.token) {
      this.invalidAuthAttempts++;
      client.ws.send(JSON.stringify({ type: 'auth_invalid', message: 'Invalid access token or password' }));
      client.ws.close();
      return;
    }
    client.authed = true;
    client.ws.send(JSON.stringify({ type: 'auth_ok', ha_version: this.haVersion }));
  }

  private onCommand(client: Client, msg: Record<string, unknown>): void {
    const { id, type } = msg;
    this.commands.push({ type: String(type), id });
    const send = (frame: unknown): void => client.ws.send(JSON.stringify(frame));
    const result = (value: unknown): Record<string, unknown> => ({ id, type: 'result', success: true, result: value });
    const error = (code: string, message: string): Record<string, unknown> => ({ id, type: 'result', success: false, error: { code, message } });
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      send(error('invalid_format', "Message incorrectly formatted: expected int for dictionary value @ data['id']"));
      return;
    }
    if (id <= client.lastId) {
      send(error('id_reuse', 'Identifier values have to increase.'));
      return;
    }
    client.lastId = id;
    if (this.unanswered.has(String(type))) return;
    switch (type) {
      case 'supported_features': {
        const features = (msg.features ?? {}) as Record<string, unknown>;
        client.coalesce = features.coalesce_messages === 1;
        send(result(null));
        return;
      }
      case 'ping':
        send({ id, type: 'pong' });
        return;
      case 'get_states': {
        send(result([...this.states.values()]));
        const after = this.afterGetStates;
        this.afterGetStates = undefined;
        after?.();
        return;
      }
      case 'get_config':
        send(
          result({
            location_name: 'Fake Home',
            version: this.haVersion,
            state: this.runState,
            time_zone: 'UTC',
            unit_system: { temperature: '°C' },
            components: ['homeassistant', 'light', 'lock'],
          }),
        );
        return;
      case 'get_services':
        send(result(this.services()));
        return;
      case 'config/entity_registry/list':
      case 'config/device_registry/list':
        if (this.registriesForbidden) send(error('unauthorized', 'Unauthorized'));
        else send(result(type === 'config/entity_registry/list' ? this.entityRegistry : this.deviceRegistry));
        return;
      case 'subscribe_events': {
        const eventType = typeof msg.event_type === 'string' ? msg.event_type : undefined;
        client.subscriptions.set(id, eventType);
        send(result(null));
        return;
      }
      case 'unsubscribe_events': {
        const sub = msg.subscription;
        if (typeof sub !== 'number' || !client.subscriptions.delete(sub)) {
          send(error('not_found', 'Subscription not found.'));
          return;
        }
        send(result(null));
        return;
      }
      case 'call_service':
        this.onCallService(client, msg, id);
        return;
      default:
        send(error('unknown_command', 'Unknown command.'));
    }
  }

  private onCallService(client: Client, msg: Record<string, unknown>, id: number): void {
    const domain = String(msg.domain);
    const service = String(msg.service);
    const data = (msg.service_data ?? {}) as Record<string, unknown>;
    const target = msg.target as Record<string, unknown> | undefined;
    this.calls.push({ domain, service, service_data: data, ...(target ? { target } : {}) });
    const known = this.services()[domain]?.[service];
    if (!known) {
      client.ws.send(JSON.stringify({ id, type: 'result', success: false, error: { code: 'not_found', message: 'Service not found.' } }));
      return;
    }
    const ids = [data.entity_id, target?.entity_id].flat().filter((x): x is string => typeof x === 'string');
    const own: unknown[] = [];
    for (const entityId of ids) {
      const old = this.states.get(entityId);
      if (!old || !entityId.startsWith(`${domain}.`)) continue;
      const change = applyService(domain, service, old, data);
      if (!change) continue;
      const next = this.makeState(entityId, change.state, change.attributes, old);
      this.states.set(entityId, next);
      own.push(...this.emitStateChanged(entityId, old, next, client));
    }
    const answer = { id, type: 'result', success: true, result: { context: context(USER_ID), response: null } };
    // HA coalesces what it queued in one loop turn into one array frame when the client asked for it.
    if (client.coalesce) client.ws.send(JSON.stringify([...own, answer]));
    else for (const frame of [...own, answer]) client.ws.send(JSON.stringify(frame));
  }

  private services(): Record<string, Record<string, { name: string; fields: Record<string, unknown> }>> {
    const svc = (...names: string[]) => Object.fromEntries(names.map((n) => [n, { name: n.replace(/_/g, ' '), fields: {} }]));
    return {
      homeassistant: svc('turn_on', 'turn_off', 'toggle', 'reload_all'),
      light: svc('turn_on', 'turn_off', 'toggle'),
      switch: svc('turn_on', 'turn_off', 'toggle'),
      fan: svc('turn_on', 'turn_off', 'toggle', 'set_percentage'),
      lock: svc('lock', 'unlock', 'open'),
      cover: svc('open_cover', 'close_cover', 'stop_cover', 'set_cover_position'),
      alarm_control_panel: svc('alarm_disarm', 'alarm_arm_home', 'alarm_arm_away', 'alarm_arm_night', 'alarm_trigger'),
      climate: svc('set_temperature', 'set_hvac_mode', 'turn_on', 'turn_off'),
      input_boolean: svc('turn_on', 'turn_off', 'toggle'),
      button: svc('press'),
      select: svc('select_option'),
      number: svc('set_value'),
      scene: svc('turn_on'),
    };
  }
}

/** What a real integration would report after the service ran. */
function applyService(
  domain: string,
  service: string,
  old: HaStateObject,
  data: Record<string, unknown>,
): { state: string; attributes: Record<string, unknown> } | undefined {
  const attributes = { ...old.attributes };
  const onOff: Record<string, string> = { turn_on: 'on', turn_off: 'off', toggle: old.state === 'on' ? 'off' : 'on' };
  switch (domain) {
    case 'light':
    case 'switch':
    case 'fan':
    case 'input_boolean':
      if (service === 'turn_on' && typeof data.brightness === 'number') attributes.brightness = data.brightness;
      if (service === 'set_percentage')
        return { state: Number(data.percentage) > 0 ? 'on' : 'off', attributes: { ...attributes, percentage: data.percentage } };
      return onOff[service] ? { state: onOff[service], attributes } : undefined;
    case 'lock':
      return { state: { lock: 'locked', unlock: 'unlocked', open: 'open' }[service] ?? old.state, attributes };
    case 'cover':
      if (service === 'set_cover_position')
        return { state: Number(data.position) > 0 ? 'open' : 'closed', attributes: { ...attributes, current_position: data.position } };
      return { state: { open_cover: 'open', close_cover: 'closed' }[service] ?? old.state, attributes };
    case 'alarm_control_panel': {
      const states: Record<string, string> = {
        alarm_disarm: 'disarmed',
        alarm_arm_home: 'armed_home',
        alarm_arm_away: 'armed_away',
        alarm_arm_night: 'armed_night',
        alarm_trigger: 'triggered',
      };
      return { state: states[service] ?? old.state, attributes };
    }
    case 'climate':
      if (service === 'set_temperature') return { state: old.state, attributes: { ...attributes, temperature: data.temperature } };
      if (service === 'set_hvac_mode' && typeof data.hvac_mode === 'string') return { state: data.hvac_mode, attributes };
      return onOff[service] ? { state: service === 'turn_on' ? 'heat' : 'off', attributes } : undefined;
    case 'button':
      return { state: new Date().toISOString(), attributes };
    case 'select':
      return typeof data.option === 'string' ? { state: data.option, attributes } : undefined;
    case 'number':
      return data.value === undefined ? undefined : { state: String(data.value), attributes };
    default:
      return undefined;
  }
}
