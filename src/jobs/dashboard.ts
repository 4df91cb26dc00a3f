import type { FastifyInstance } from 'fastify'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import { Queue } from 'bullmq'
import { AppError } from '../errors/catalogue.js'
import { renderError } from '../plugins/app/error-handler.js'

export const DASHBOARD_PATH = '/admin/queues'

/** The dashboard's page loads its own scripts and styles (some inline) and calls its own API; nothing else. */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'"
].join('; ')

/**
 * bull-board at /admin/queues: every queue the API adds to, for platform admins only, with a bearer
 * token like every other call (a browser reaches it through a proxy or extension that adds the
 * header). The dashboard's routes have an error handler of their own, so refusals are rendered here.
 */
export default async function queueDashboard(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    try {
      await app.authenticate(request)
      if (!request.caller.roles.includes('platform_admin'))
        throw new AppError('forbidden', 'The queue dashboard is for platform admins')
    } catch (err) {
      renderError(err as Error, request, reply)
      return await reply
    }
  })
  app.addHook('onSend', async (_request, reply) => {
    void reply.header('cache-control', 'no-store').header('content-security-policy', DASHBOARD_CSP)
  })
  const serverAdapter = new FastifyAdapter()
  serverAdapter.setBasePath(DASHBOARD_PATH)
  createBullBoard({
    // bull-board's adapter is typed for Redis queues but reads a PostgreSQL-backed one the same way:
    // both are BullMQ queues (the backend's class extends Queue), which this check establishes.
    queues: Object.values(app.queues).map((q) => {
      if (!(q instanceof Queue)) throw new Error(`queue ${q.name} is not a BullMQ queue`)
      return new BullMQAdapter(q)
    }),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Waymark queues' } }
  })
  await app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH })
}
