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
import { maintenanceSchema } from '../link/support-rpc.js';
import { authenticate } from './accounts.js';
import type { RelayBroker } from './broker.js';
import { own } from '../core/own.js';
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
    hubs: broker.hubList().map((h) => ({
      hub_id: h.hub_id,
      online: h.online,
      since: new Date(h.since).toISOString(),
      support_grants: h.support.length,
      chain: broker.chains.headOf(h.hub_id),
    })),
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

  r.post(
    '/relay/v1/support/hubs/:id/diagnostics',
    { preHandler: need('engineer'), schema: { params: hubParams, body: z.strictObject({ grant_id: z.string().max(100).optional() }).default({}) } },
    async (req, reply) => {
      const grant = grantFor(req, req.params.id, req.body?.grant_id, 'diagnostics');
      log.info({ engineer: req.account!.id, hub_id: req.params.id, grant_id: grant }, 'support diagnostics requested');
      return answer(
        reply,
        await broker.call(req.params.id, 'support.diagnostics', {}, { engineer: { id: req.account!.id, name: req.account!.name }, grant_id: grant }),
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
