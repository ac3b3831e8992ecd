import { systemClock, type Clock } from '../core/clock.js';
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../core/logger.js';
import { forbidden, notFound, unauthorized } from '../core/errors.js';
import { RateLimiter } from '../core/rate-limit.js';
import { errorHandler } from '../http/error-handler.js';
import type { Settings } from '../config/schema.js';
import type { RelayAccount } from '../config/sections/relay.js';
import { actionSchema, hubIdSchema, type RpcResponse } from '../link/messages.js';
import { diagnosticsSchema, maintenanceSchema } from '../link/support-rpc.js';
import { authenticate } from './accounts.js';
import type { RelayBroker } from './broker.js';
import { own } from '../core/own.js';
import { relayDownloadDigest } from '../core/sealed.js';
import { relayErrors } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    account: RelayAccount | null;
  }
}

const hubParams = z.object({ id: hubIdSchema });

/**
 * The relay's HTTPS API: hubs' online state, signed down commands for cloud services, and the
 * support console. The relay checks a grant is announced before it bothers a hub, but the hub
 * decides (and audits) every engineer request itself.
 */
export async function buildRelayApp(settings: Settings['relay'], broker: RelayBroker, log: Logger, clock: Clock = systemClock): Promise<FastifyInstance> {
  const tls = settings.tls_cert && settings.tls_key ? { cert: readFileSync(settings.tls_cert), key: readFileSync(settings.tls_key) } : undefined;
  const app = Fastify({
    loggerInstance: log.child({ part: 'relay-http' }),
    logController: new LogController({ disableRequestLogging: true }),
    ...(tls ? { https: tls } : {}),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.server.on('connection', (socket: { setNoDelay?: (on: boolean) => void }) => socket.setNoDelay?.(true));
  const failures = new RateLimiter({ burst: 10, perSecond: 0.5, maxKeys: 10_000, now: () => clock.now() });
  app.decorateRequest('account', null);
  app.addHook('onRequest', async (req) => {
    req.account = null;
    const header = req.headers.authorization;
    if (!header) return;
    // retryAfter, not take(ip, 0): a zero-cost take always succeeds, so this never refused.
    if (failures.retryAfter(req.ip) > 0) throw relayErrors.error('TOO_MANY_ATTEMPTS', 'too many failed sign-ins; wait a little');
    req.account = authenticate(header, settings.accounts);
    if (!req.account) failures.take(req.ip);
  });
  const need = (role?: RelayAccount['role']) => async (req: FastifyRequest, _reply: FastifyReply) => {
    if (!req.account) throw unauthorized('Sign in with a relay account (Bearer token or Basic)');
    if (role && req.account.role !== role) throw forbidden(`This needs a ${role} account`, 'ROLE_REQUIRED');
  };

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/relay/v1/health', async (_req, reply) => {
    const h = broker.health();
    return reply.status(h.status === 'ok' ? 200 : 503).send({ status: h.status, detail: h.detail, instance: broker.instanceId });
  });

  // Which homes exist and when they are online is the cloud services' business, not every
  // engineer's: an engineer sees only hubs that granted them a session (support/hubs below).
  r.get('/relay/v1/hubs', { preHandler: need('service') }, async () => ({
    hubs: await Promise.all(
      broker.hubList().map(async (h) => ({
        hub_id: h.hub_id,
        online: h.online,
        since: new Date(h.since).toISOString(),
        support_grants: h.support.length,
        chain: await broker.chains.headOf(h.hub_id),
      })),
    ),
  }));

  r.post(
    '/relay/v1/hubs/:id/commands',
    { preHandler: need('service'), schema: { params: hubParams, body: z.strictObject({ action: actionSchema, reason: z.string().max(500).optional() }) } },
    async (req, reply) => {
      const sent = await broker.sendCommand(req.params.id, req.body.action, { reason: req.body.reason, actor: req.account!.id, ttlS: settings.command_ttl_s });
      log.info({ account: req.account!.id, hub_id: req.params.id, command_id: sent.command_id }, 'down command sent');
      return reply.status(202).send({ command_id: sent.command_id, expires_at: new Date(sent.expires_at).toISOString() });
    },
  );

  // ---- support console -----------------------------------------------------------------
  r.get('/relay/v1/support/hubs', { preHandler: need('engineer') }, async (req) => {
    const now = Date.now();
    return {
      hubs: broker
        .hubList()
        .map((h) => ({
          hub_id: h.hub_id,
          online: h.online,
          grants: h.support.filter((g) => g.expires_at > now && (g.engineer === null || g.engineer === req.account!.id)),
        }))
        .filter((h) => h.grants.length > 0),
    };
  });

  const grantFor = (req: FastifyRequest, hubId: string, given: string | undefined, scope: 'diagnostics' | 'maintenance'): string => {
    const view = broker.hub(hubId);
    if (!view) throw notFound('hub', hubId);
    if (given) return given; // the hub checks it; the relay is not the judge
    const grant = view.support.find(
      (g) => g.expires_at > Date.now() && (g.engineer === null || g.engineer === req.account!.id) && (scope === 'diagnostics' || g.scope === 'maintenance'),
    );
    if (!grant) throw relayErrors.error('NO_GRANT', `hub ${hubId} has not granted a ${scope} session`);
    return grant.id;
  };

  // A service may ping any hub; an engineer only one that granted them a session.
  r.post('/relay/v1/hubs/:id/ping', { preHandler: need(), schema: { params: hubParams } }, async (req, reply) => {
    if (req.account!.role !== 'service') grantFor(req, req.params.id, undefined, 'diagnostics');
    return answer(reply, await broker.call(req.params.id, 'ping'));
  });

  // What the hub sent up the link about its own health: alerts and snapshots, newest first.
  // Read from the relay's store, so it works while the hub is offline (that is when it matters).
  r.get(
    '/relay/v1/support/hubs/:id/reports',
    {
      preHandler: need(),
      schema: {
        params: hubParams,
        querystring: z.strictObject({ class: z.enum(['alert', 'telemetry']).optional(), limit: z.coerce.number().int().min(1).max(500).default(50) }),
      },
    },
    async (req) => {
      if (req.account!.role !== 'service') grantFor(req, req.params.id, undefined, 'diagnostics');
      return { hub_id: req.params.id, reports: await broker.store.reports.list(req.params.id, req.query.class, req.query.limit) };
    },
  );

  // ---- backup copies, for the owner on a fresh box (`hearth backup restore --from-relay`) --------
  // No relay account: the download token is derived from the owner's backup passphrase
  // (core/sealed.ts); the relay keeps only its digest. Wrong tokens count as failed sign-ins.
  const downloadDigest = (req: FastifyRequest): string => {
    const token = req.headers['x-hearth-download-token'];
    if (typeof token !== 'string' || !/^[0-9a-f]{64}$/.test(token)) throw unauthorized('Send X-Hearth-Download-Token (from the backup passphrase)');
    if (failures.retryAfter(req.ip) > 0) throw relayErrors.error('TOO_MANY_ATTEMPTS', 'too many failed attempts; wait a little');
    return relayDownloadDigest(token);
  };
  const refused = (req: FastifyRequest, hubId: string): never => {
    failures.take(req.ip);
    throw notFound('backup copy of hub', hubId);
  };
  r.get('/relay/v1/backups/:id/kdf', { schema: { params: hubParams } }, async (req) => {
    if (failures.retryAfter(req.ip) > 0) throw relayErrors.error('TOO_MANY_ATTEMPTS', 'too many failed attempts; wait a little');
    const kdf = await broker.store.backups.kdf(req.params.id);
    if (!kdf) return refused(req, req.params.id);
    return kdf;
  });
  r.get('/relay/v1/backups/:id', { schema: { params: hubParams } }, async (req) => {
    const copies = await broker.store.backups.list(req.params.id, downloadDigest(req));
    if (copies.length === 0) return refused(req, req.params.id);
    return { hub_id: req.params.id, copies };
  });
  r.get(
    '/relay/v1/backups/:id/:name',
    { schema: { params: hubParams.extend({ name: z.string().regex(/^hearth-\d{8}-\d{6}(-\d+)?\.hbk$/) }) } },
    async (req, reply) => {
      const blob = await broker.store.backups.get(req.params.id, req.params.name, downloadDigest(req));
      if (!blob) return refused(req, req.params.id);
      log.info({ hub_id: req.params.id, name: req.params.name }, 'backup copy downloaded');
      return reply.header('content-type', 'application/octet-stream').header('content-disposition', `attachment; filename="${req.params.name}"`).send(blob);
    },
  );

  r.post(
    '/relay/v1/support/hubs/:id/diagnostics',
    { preHandler: need('engineer'), schema: { params: hubParams, body: diagnosticsSchema.extend({ grant_id: z.string().max(100).optional() }).default({}) } },
    async (req, reply) => {
      const { grant_id, ...ask } = req.body ?? {};
      const grant = grantFor(req, req.params.id, grant_id, 'diagnostics');
      log.info({ engineer: req.account!.id, hub_id: req.params.id, grant_id: grant }, 'support diagnostics requested');
      return answer(
        reply,
        await broker.call(req.params.id, 'support.diagnostics', ask, { engineer: { id: req.account!.id, name: req.account!.name }, grant_id: grant }),
      );
    },
  );

  r.post(
    '/relay/v1/support/hubs/:id/maintenance',
    { preHandler: need('engineer'), schema: { params: hubParams, body: maintenanceSchema.extend({ grant_id: z.string().max(100).optional() }) } },
    async (req, reply) => {
      const { grant_id, ...step } = req.body;
      const grant = grantFor(req, req.params.id, grant_id, 'maintenance');
      log.info(
        { engineer: req.account!.id, hub_id: req.params.id, grant_id: grant, operation: step.operation, target: step.target },
        'support maintenance requested',
      );
      return answer(
        reply,
        await broker.call(req.params.id, 'support.maintenance', step, { engineer: { id: req.account!.id, name: req.account!.name }, grant_id: grant }),
      );
    },
  );
  return app;
}

const STATUS: Record<string, number> = {
  TIMEOUT: 504,
  RELAY_OFFLINE: 503,
  UNREACHABLE: 502,
  BUSY: 503,
  SUPPORT_REFUSED: 403,
  UNAUTHENTICATED: 502,
  NOT_FOUND: 404,
  VALIDATION_FAILED: 400,
};

/** A hub's RPC reply as HTTP: the result, or the hub's error code with a fitting status. */
function answer(reply: FastifyReply, res: RpcResponse): FastifyReply {
  if (res.ok) return reply.send({ result: res.result });
  return reply.status(own(STATUS, res.error.code) ?? 502).send({ error: res.error });
}
