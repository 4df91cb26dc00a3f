import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { loadConfig } from './config/config.js'

/** The document as @fastify/swagger types it. */
export type OpenApiDocument = ReturnType<FastifyInstance['swagger']>

/**
 * The OpenAPI document as the app describes itself. Built with a configuration that needs no running
 * services (pg and ioredis connect lazily), so `npm run openapi` works anywhere and gives the same
 * bytes on every run.
 */
export async function buildOpenApiDocument(): Promise<OpenApiDocument> {
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: 'openapi-export-secret-not-used-for-anything-000',
    LOG_LEVEL: 'silent'
  })
  const app = await buildApp(config)
  try {
    await app.ready()
    return app.swagger()
  } finally {
    await app.close()
  }
}

export function serialiseOpenApi(doc: OpenApiDocument): string {
  return JSON.stringify(doc, null, 2) + '\n'
}
