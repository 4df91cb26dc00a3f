import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { sql } from 'kysely'

const Status = Type.Object({ status: Type.String(), checks: Type.Optional(Type.Record(Type.String(), Type.String())) })

async function within<T> (ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<T>((_resolve, reject) => { timer = setTimeout(() => reject(new Error('timeout')), ms) })])
  } finally {
    clearTimeout(timer)
  }
}

export default async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/health/live', {
    schema: { tags: ['health'], operationId: 'live', summary: 'The process is up', security: [], response: { 200: Status } }
  }, async () => ({ status: 'ok' }))

  app.get('/health/ready', {
    schema: { tags: ['health'], operationId: 'ready', summary: 'PostgreSQL and Redis are reachable', security: [], response: { 200: Status, 503: Status } }
  }, async (_request, reply) => {
    const [pg, redis] = await Promise.allSettled([
      within(1500, sql`select 1`.execute(app.db)),
      within(1500, app.redis.ping())
    ])
    const checks = { postgres: pg.status === 'fulfilled' ? 'ok' : 'unreachable', redis: redis.status === 'fulfilled' ? 'ok' : 'unreachable' }
    const ok = pg.status === 'fulfilled' && redis.status === 'fulfilled'
    return await reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks })
  })
}
