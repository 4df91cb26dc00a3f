import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { ping } from '../db/database.js'
import { ProblemRef } from '../schemas/common.js'
import { within } from '../lib/within.js'

const Status = Type.Object({
  status: Type.String(),
  queue_backend: Type.Optional(
    Type.Enum(['redis', 'postgres'], {
      description: 'Where the queues live: Redis, or PostgreSQL (BullMQ PostgreSQL backend)'
    })
  ),
  checks: Type.Optional(
    Type.Record(Type.String(), Type.String(), {
      description: '`postgres`, and `redis` or (queues on PostgreSQL) `queues`: `ok` or `unreachable`'
    })
  )
})

/** The only refusal a probe meets: a request Node's HTTP parser could not read. */
const Unreadable = {
  description: 'The request is not HTTP the server can read (malformed, or headers too large)',
  content: { 'application/problem+json': { schema: ProblemRef } }
}

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['health'],
        operationId: 'live',
        summary: 'The process is up',
        security: [],
        response: { 200: Status, 400: Unreadable }
      }
    },
    async () => ({ status: 'ok' })
  )

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        operationId: 'ready',
        summary: 'PostgreSQL and the queue backend are reachable',
        security: [],
        response: { 200: Status, 400: Unreadable, 503: Status }
      }
    },
    async (request, reply) => {
      const backend = app.queueBackend
      const [pg, queues] = await Promise.allSettled([within(1500, ping(app.db)), within(1500, backend.ping())])
      const checks = {
        postgres: pg.status === 'fulfilled' ? 'ok' : 'unreachable',
        [backend.kind === 'redis' ? 'redis' : 'queues']: queues.status === 'fulfilled' ? 'ok' : 'unreachable'
      }
      if (queues.status === 'rejected')
        request.log.debug(
          { err: { message: (queues.reason as Error).message } },
          'readiness: the queue backend did not answer'
        )
      const ok = pg.status === 'fulfilled' && queues.status === 'fulfilled'
      return await reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ok' : 'unavailable', queue_backend: backend.kind, checks })
    }
  )
}
