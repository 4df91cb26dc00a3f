import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import type { Config } from './config/config.js'
import { loggerOptions } from './logger.js'
import { cachedSerializerFactory } from './lib/serializers.js'
import { bodyStrictValidatorFactory } from './lib/validators.js'
import { PendingCompiles } from './lib/pending-compiles.js'
import configPlugin from './plugins/external/config.js'
import dbPlugin from './plugins/external/db.js'
import queuesPlugin from './plugins/external/queues.js'
import swaggerPlugin from './plugins/external/swagger.js'
import authenticationPlugin from './plugins/app/authentication.js'
import errorHandlerPlugin, { clientErrorHandler, frameworkErrors } from './plugins/app/error-handler.js'
import inputGuardPlugin from './plugins/app/input-guard.js'
import metricsPlugin from './plugins/app/metrics.js'
import pressurePlugin from './plugins/app/pressure.js'
import securityHeadersPlugin from './plugins/app/security-headers.js'
import { ProblemSchema } from './schemas/common.js'
import { ProgrammeRulesSchema } from './schemas/programmes.js'
import { ReferralSchema } from './schemas/referrals.js'
import { MentorSchema } from './schemas/mentors.js'
import healthRoutes from './routes/health.js'
import v1Routes from './routes/v1/index.js'
import queueDashboard from './jobs/dashboard.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Compiles the request validators and response serializers no request has needed yet (each compiles on first use). */
    compileSchemas: () => Promise<number>
  }
}

export interface BuildOptions {
  /** A logger stream, for tests that read what was logged. */
  logStream?: NodeJS.WritableStream
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,100}$/

/** Builds the API. Never listens: src/server.ts does. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const logger: FastifyServerOptions['logger'] =
    options.logStream !== undefined
      ? { ...loggerOptions(config.LOG_LEVEL), stream: options.logStream }
      : loggerOptions(config.LOG_LEVEL)
  const pending = new PendingCompiles()
  const app = Fastify({
    logger,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    bodyLimit: 256 * 1024,
    return503OnClosing: true,
    // Long path segments reach schema validation (400 naming the parameter) instead of a bare 414.
    routerOptions: { maxParamLength: 500 },
    frameworkErrors,
    clientErrorHandler,
    // Query strings and parameters are coerced (`coerceTypes: 'array'`); bodies never (validators.ts).
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true }
    },
    schemaController: {
      compilersFactory: {
        buildValidator: bodyStrictValidatorFactory(pending),
        buildSerializer: cachedSerializerFactory(pending)
      }
    }
  })
  app.decorate('compileSchemas', async () => await pending.compileAll())
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id)
    done()
  })

  // Infrastructure
  await app.register(configPlugin, { config })
  await app.register(dbPlugin)
  await app.register(queuesPlugin)
  app.addSchema(ProblemSchema)
  app.addSchema(ProgrammeRulesSchema)
  app.addSchema(ReferralSchema)
  app.addSchema(MentorSchema)
  await app.register(swaggerPlugin)
  // The API serves JSON only: nothing it answers may load, run, frame or submit anything. /docs
  // sets its own policy (swagger.ts).
  await app.register(securityHeadersPlugin, {
    helmet: {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] }
      },
      crossOriginResourcePolicy: { policy: 'same-site' }
    }
  })
  await app.register(cors, {
    origin: config.CORS_ORIGINS.length > 0 ? config.CORS_ORIGINS : false,
    exposedHeaders: ['etag', 'location', 'x-request-id', 'retry-after']
  })

  // Application
  await app.register(errorHandlerPlugin)
  await app.register(pressurePlugin)
  await app.register(metricsPlugin)
  await app.register(inputGuardPlugin)
  await app.register(authenticationPlugin)
  await app.register(rateLimit, {
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW,
    // The limiter runs as a route-level hook, after the /v1 authentication hook: a verified caller is
    // limited as one (every token of theirs shares the count; nobody can spend another's by naming
    // them in a forged token). Requests without a valid token never get this far: the authentication
    // plugin limits them per address, before any signature check. Health, docs, the OpenAPI
    // document and /metrics (its own token, not a caller's) are not limited.
    // (The key is made before the allow list is asked, so it must not assume a caller.)
    allowList: (request) => request.caller === null || request.caller === undefined,
    keyGenerator: (request) =>
      request.caller === null || request.caller === undefined
        ? '-'
        : `c:${request.caller.org ?? '-'}:${request.caller.sub}`
  })

  // Routes
  await app.register(healthRoutes)
  await app.register(v1Routes, { prefix: '/v1' })
  await app.register(queueDashboard)
  return app
}
