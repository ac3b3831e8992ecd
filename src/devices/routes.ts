import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HubContext } from '../part/context.js';
import { notFound } from '../core/errors.js';
import { principalOf, requireOwnerFor, requireRole, requireSignedIn } from '../core/guard.js';
import { changeOrigin, pendingChangeSchema, type HubChanges } from '../core/hub-changes.js';
import { domainSchema, entitySchema } from './model.js';
import type { EntityRegistry } from './registry.js';
import type { StateHistory } from './history.js';
import type { EntityOverrides } from './overrides.js';
import type { LanBroker } from './mqtt/broker.js';
import { credentialSchema, usernameSchema, type DeviceCredentials } from './credentials.js';
import type { DemoHome } from './demo/home.js';
import { HearthError } from '../core/errors.js';
import { devicesErrors } from './errors.js';
import { EntityListBodies, etagMatches, wantsGzip } from './list-bodies.js';

const error = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const idParams = z.object({ id: z.string().max(255) });

export interface DeviceRouteDeps {
  registry: EntityRegistry;
  history: StateHistory;
  overrides: EntityOverrides;
  credentials: DeviceCredentials;
  /** The LAN broker, when it runs: deleting a login disconnects the devices using it. */
  broker?: Pick<LanBroker, 'disconnectUser' | 'port' | 'tlsPort'>;
  /** The demo home, when the broker runs (on or off with hub.demo). */
  demo?: Pick<DemoHome, 'setSensor' | 'isRunning'>;
  /** Making and removing device logins are hub changes through the gate. */
  changes: HubChanges;
}

/** Device logins as hub changes (`hub.device_logins`). */
export const DEVICE_LOGINS_ENTITY = 'hub.device_logins';
const createParams = z.object({ username: usernameSchema, description: z.string().nullable(), password_hash: z.string(), by: z.string() });
const deleteParams = z.object({ username: z.string(), by: z.string() });

/** What runs when a device login change is approved; each with its audit entry as before. */
export function defineDeviceLoginChanges(ctx: HubContext, deps: Pick<DeviceRouteDeps, 'credentials' | 'broker' | 'changes'>): void {
  const { credentials, broker, changes } = deps;
  changes.define(DEVICE_LOGINS_ENTITY, 'create_device_login', {
    run: (raw) => {
      const p = createParams.parse(raw);
      ctx.audit.withEntry({ actor: p.by, origin: 'web', kind: 'device_credential.created', subject: p.username, data: { description: p.description } }, () =>
        credentials.insert(p.username, p.password_hash, p.by, p.description),
      );
    },
  });
  changes.define(DEVICE_LOGINS_ENTITY, 'delete_device_login', {
    run: (raw) => {
      const p = deleteParams.parse(raw);
      ctx.audit.withEntry({ actor: p.by, origin: 'web', kind: 'device_credential.deleted', subject: p.username, data: {} }, () =>
        credentials.remove(p.username),
      );
      broker?.disconnectUser(p.username);
    },
  });
}

/** The registry (any signed-in member may look) and device logins (owner only). */
export function deviceRoutes(ctx: HubContext, deps: DeviceRouteDeps): FastifyPluginAsync {
  const { registry, history, overrides, credentials, broker, demo, changes } = deps;
  const listBodies = new EntityListBodies(registry);
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const owner = requireRole('owner');
    const changer = requireOwnerFor(ctx.audit, DEVICE_LOGINS_ENTITY);

    r.get(
      '/entities',
      {
        preHandler: requireSignedIn,
        // The registry builds entities to the schema already; re-validating 2,000 of them per
        // request with zod cost more than the rest of the request (the schema still documents it).
        serializerCompiler: () => (data) => (typeof data === 'string' ? data : JSON.stringify(data)),
        schema: {
          tags: ['entities'],
          summary: 'Every entity of the home, with filters',
          querystring: z.strictObject({ domain: domainSchema.optional(), source: z.string().max(64).optional() }),
          response: { 200: z.object({ entities: z.array(entitySchema) }), 304: z.null().describe('nothing changed since the ETag sent in If-None-Match') },
        },
      },
      async (req, reply) => {
        // A list is the same until any entity changes: answer a repeat with 304, and build the
        // 2,000 entities' JSON (and its gzip) once per change rather than once per request.
        const list = listBodies.get(req.query);
        // The browser keeps the list and asks again with its ETag each time (no-cache), so pages get a 304.
        reply.header('etag', list.etag).header('cache-control', 'private, no-cache').header('vary', 'Accept-Encoding');
        if (etagMatches(req.headers['if-none-match'], list.etag)) return reply.code(304).send(null);
        reply.type('application/json; charset=utf-8');
        if (wantsGzip(req.headers['accept-encoding'], list.json.length)) reply.header('content-encoding', 'gzip').send((await list.gzipped()) as never);
        else reply.send(list.json as never); // already JSON
        return reply;
      },
    );

    r.get(
      '/entities/:id',
      { preHandler: requireSignedIn, schema: { tags: ['entities'], summary: 'One entity', params: idParams, response: { 200: entitySchema, 404: error } } },
      async (req) => {
        const e = registry.get(req.params.id);
        if (!e) throw notFound('entity', req.params.id);
        return e;
      },
    );

    r.get(
      '/entities/:id/history',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['entities'],
          summary: 'Recent states of one entity, newest first',
          params: idParams,
          querystring: z.strictObject({ since: z.iso.datetime({ offset: true }).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: {
            200: z.object({
              entity_id: z.string(),
              history: z.array(z.object({ state: z.string(), attributes: z.record(z.string(), z.unknown()), available: z.boolean(), at: z.string() })),
            }),
            404: error,
          },
        },
      },
      async (req) => {
        const rows = history.list(req.params.id, { since: req.query.since && new Date(req.query.since).toISOString(), limit: req.query.limit });
        if (rows.length === 0 && !registry.get(req.params.id)) throw notFound('entity', req.params.id);
        return { entity_id: req.params.id, history: rows };
      },
    );

    r.patch(
      '/entities/:id',
      {
        preHandler: owner,
        schema: {
          tags: ['entities'],
          summary: 'Rename an entity, set the names people use for it, its room (area), or hide it from Home',
          params: idParams,
          body: z.strictObject({
            name: z.string().trim().min(1).max(80).nullable().optional().describe('the name shown; null: the name its source gives'),
            aliases: z.array(z.string().trim().min(1).max(80)).max(20).optional(),
            area: z.string().trim().min(1).max(80).nullable().optional(),
            hidden: z.boolean().optional().describe('hide it from Home (it still works, and stays on the Devices page)'),
          }),
          response: { 200: entitySchema, 404: error },
        },
      },
      async (req) => {
        const e = registry.get(req.params.id);
        if (!e) throw notFound('entity', req.params.id);
        const who = principalOf(req);
        const before = { aliases: e.aliases, area: e.area, name: e.source_name ? e.name : null, hidden: e.hidden === true };
        const next = {
          aliases: req.body.aliases ?? before.aliases,
          area: req.body.area === undefined ? before.area : req.body.area,
          name: req.body.name === undefined ? before.name : req.body.name,
          hidden: req.body.hidden ?? before.hidden,
        };
        // A name equal to the source's is no rename.
        if (next.name !== null && next.name === (e.source_name ?? e.name)) next.name = null;
        ctx.audit.withEntry({ actor: who.member_id, origin: 'web', kind: 'entity.updated', subject: e.id, data: { ...next, before } }, () =>
          overrides.set(e.id, next),
        );
        return registry.applyOverride(e.id, next)!;
      },
    );

    r.post(
      '/demo/sensors/:id',
      {
        preHandler: requireRole('owner', 'adult'),
        schema: {
          tags: ['devices'],
          summary: 'Set a demo sensor (back door, motion, leak) as its simulated hardware would, over MQTT; demo devices only',
          params: idParams,
          body: z.strictObject({ on: z.boolean().describe('open / motion / wet') }),
          response: { 204: z.null(), 404: error, 409: error },
        },
      },
      async (req, reply) => {
        if (!demo?.isRunning) throw devicesErrors.error('DEMO_OFF', 'The demo home is off; turn it on in Settings → Home to play with it');
        if (!(await demo.setSensor(req.params.id, req.body.on))) throw notFound('demo sensor', req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.get(
      '/devices/broker',
      {
        preHandler: owner,
        schema: {
          tags: ['devices'],
          summary: 'Where devices connect: the LAN broker\'s ports (as bound) and the discovery prefix, for the "Add a device" steps',
          response: {
            200: z.object({
              running: z.boolean(),
              port: z.number().int().nullable(),
              tls_port: z.number().int().nullable(),
              allow_anonymous: z.boolean(),
              discovery_prefix: z.literal('homeassistant'),
            }),
          },
        },
      },
      async () => {
        const s = ctx.settings.get().mqtt;
        return {
          running: Boolean(broker),
          port: broker ? broker.port : null,
          tls_port: broker?.tlsPort ?? null,
          allow_anonymous: s.allow_anonymous,
          discovery_prefix: 'homeassistant' as const,
        };
      },
    );

    r.get(
      '/devices/credentials',
      {
        preHandler: owner,
        schema: { tags: ['devices'], summary: 'LAN broker logins for devices', response: { 200: z.object({ credentials: z.array(credentialSchema) }) } },
      },
      async () => ({ credentials: credentials.list() }),
    );

    r.post(
      '/devices/credentials',
      {
        preHandler: changer,
        schema: {
          tags: ['devices'],
          summary: 'Create a device login, through the action gate; the password is shown only in this response (with 202 it works once the login is approved)',
          body: z.strictObject({ username: usernameSchema, description: z.string().max(200).optional() }),
          response: {
            201: credentialSchema.extend({ password: z.string() }),
            202: pendingChangeSchema.extend({ username: z.string(), password: z.string() }),
            409: error,
          },
        },
      },
      async (req, reply) => {
        const who = principalOf(req);
        const { username } = req.body;
        const { password, hash } = await credentials.newPassword(username);
        const pending = await changes.ask({
          entity_id: DEVICE_LOGINS_ENTITY,
          operation: 'create_device_login',
          params: { username, description: req.body.description ?? null, password_hash: hash, by: who.member_id, summary: `make the device login ${username}` },
          origin: changeOrigin(who),
        });
        if (pending) return reply.status(202).send({ ...pending, username, password });
        return reply.status(201).send({ ...credentials.get(username)!, password });
      },
    );

    r.delete(
      '/devices/credentials/:username',
      {
        preHandler: changer,
        schema: {
          tags: ['devices'],
          summary: 'Remove a device login (a low-risk hub change: at once for an owner by default)',
          params: z.object({ username: z.string().max(64) }),
          response: { 202: pendingChangeSchema, 204: z.null(), 404: error },
        },
      },
      async (req, reply) => {
        const who = principalOf(req);
        if (!credentials.get(req.params.username)) throw notFound('device login', req.params.username);
        const pending = await changes.ask({
          entity_id: DEVICE_LOGINS_ENTITY,
          operation: 'delete_device_login',
          params: { username: req.params.username, by: who.member_id, summary: `remove the device login ${req.params.username}` },
          origin: changeOrigin(who),
        });
        if (pending) return reply.status(202).send(pending);
        return reply.status(204).send(null);
      },
    );
  };
}
