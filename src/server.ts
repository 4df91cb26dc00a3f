import type { FastifyInstance } from 'fastify'
import type { Config } from './config/config.js'
import { buildApp } from './app.js'

/** Builds the API and listens. Closing lets requests in flight finish, then releases their sockets. */
export async function startServer(config: Config): Promise<FastifyInstance> {
  const app = await buildApp(config)
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  // A keep-alive socket whose request finishes during shutdown would otherwise hold the close open
  // until its keep-alive timeout.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close')
  })
  await app.listen({ port: config.PORT, host: config.HOST })
  // Ready to answer; the validators and serializers no request has needed yet are compiled now, one at a time.
  const started = Date.now()
  app
    .compileSchemas()
    .then((count) => {
      app.log.debug({ count, ms: Date.now() - started }, 'request and response schemas compiled')
    })
    .catch((err: unknown) => {
      app.log.error({ err }, 'a request or response schema does not compile')
    })
  return app
}
