import type { FastifyInstance } from 'fastify'
import type { Config } from './config/config.js'
import { buildApp } from './app.js'

/** Builds the API and listens. */
export async function startServer (config: Config): Promise<FastifyInstance> {
  const app = await buildApp(config)
  await app.listen({ port: config.PORT, host: config.HOST })
  return app
}
