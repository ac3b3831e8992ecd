import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HubContext } from '../part/context.js';
import type { Authenticator } from '../members/model.js';
import type { Service } from '../core/lifecycle.js';
import { errorHandler, body } from './error-handler.js';
import { securityHeaders } from './security-headers.js';
import { sameOriginForCookies } from './same-origin.js';
import { httpMetrics } from './metrics.js';
import '../core/guard.js';

export type App = FastifyInstance;

export interface HttpOptions {
  ctx: HubContext;
  authenticator: Authenticator;
  /** Route plugins, each registered under /api/v1 in its own encapsulated context. */
  routes: FastifyPluginAsync[];
  /** Plugins registered at the root (/metrics, /api/v1/health need no prefix games). */
  rootRoutes?: FastifyPluginAsync[];
  /** The built web UI; served when it exists. */
  uiDir?: string;
  logRequests?: boolean;
}

export async function buildHttpServer(options: HttpOptions): Promise<App> {
  const { ctx } = options;
  const settings = ctx.settings.get();
  const tls =
    settings.http.tls_cert && settings.http.tls_key ? { cert: readFileSync(settings.http.tls_cert), key: readFileSync(settings.http.tls_key) } : undefined;
  const app = Fastify({
    loggerInstance: ctx.log.child({ part: 'http' }),
    logController: new LogController({ disableRequestLogging: !options.logRequests }),
    bodyLimit: settings.http.body_limit_bytes,
    // One hop: the address the reverse proxy saw (the last X-Forwarded-For entry). `true` would
    // trust every hop, so a client could pick its own address by sending the header itself.
    // (A hop count, 1, is not it: this fastify trusts nothing for a number.)
    trustProxy: settings.http.trust_proxy ? (_address: string, hop: number) => hop === 0 : false,
    return503OnClosing: true,
    ...(tls ? { https: tls } : {}),
  }) as unknown as App;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    if (!options.uiDir || request.url.startsWith('/api/') || request.method !== 'GET') {
      return reply.status(404).send(body('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`));
    }
    return reply.type('text/html').sendFile('index.html'); // the UI routes on the client
  });
  // Cookies are parsed by the plugin's own onRequest hook, which must run before ours.
  await app.register(fastifyCookie);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    request.principal = options.authenticator.authenticate({ headers: request.headers, cookies: request.cookies });
  });
  sameOriginForCookies(app);
  securityHeaders(app, Boolean(tls));

  const metrics = httpMetrics(ctx.metrics);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Hearth API', version: ctx.version, description: 'The home hub\'s HTTP API. Errors are `{"error": {"code", "message"}}`.' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'hearth_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const plugin of options.rootRoutes ?? []) await app.register(plugin);
  for (const plugin of options.routes) await app.register(plugin, { prefix: '/api/v1' });

  if (options.uiDir && existsSync(join(options.uiDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: options.uiDir, wildcard: false, index: 'index.html' });
  } else {
    options.uiDir = undefined;
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html')
        .send('<!doctype html><title>Hearth</title><h1>Hearth</h1><p>The web UI is not built. The API is at <a href="/api/docs">/api/docs</a>.</p>'),
    );
  }
  return app;
}

/** The HTTP server as a lifecycle service. */
export class HttpService implements Service {
  readonly name = 'http';
  private address = '';

  constructor(
    readonly app: App,
    private readonly host: string,
    private readonly port: number,
  ) {}

  async start(): Promise<void> {
    try {
      this.address = await this.app.listen({ host: this.host, port: this.port });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new Error(`port ${this.port} is already in use (http.port / HEARTH_HTTP_PORT)`);
      if (code === 'EACCES') throw new Error(`not allowed to listen on port ${this.port}; use a port above 1023`);
      throw err;
    }
  }

  /** The port actually bound (differs from the setting when it was 0). */
  get boundPort(): number {
    const addr = this.app.server.address();
    return typeof addr === 'object' && addr ? addr.port : this.port;
  }

  get url(): string {
    return this.address;
  }

  async stop(): Promise<void> {
    await this.app.close();
  }

  health() {
    return { status: 'ok' as const, detail: `listening on ${this.address}` };
  }
}
