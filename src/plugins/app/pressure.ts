import { getHeapStatistics } from 'node:v8'
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors/catalogue.js'

/** Seconds a client is asked to wait when the process is under pressure. */
export const PRESSURE_RETRY_AFTER_S = 10

/** What operators need most when the process struggles: probes, metrics and the docs always answer. */
const EXEMPT = /^\/(health\/|metrics(\?|$)|docs(\/|\?|$)|openapi\.json)/

/**
 * Back-pressure: while the event loop lags past PRESSURE_MAX_EVENT_LOOP_DELAY_MS or the heap holds
 * more than PRESSURE_MAX_HEAP_USED_MB, requests are refused at once with 503 and Retry-After rather
 * than queued behind work the process cannot finish in time.
 */
export default fp(
  async function pressurePlugin(app: FastifyInstance) {
    const heapMb =
      app.config.PRESSURE_MAX_HEAP_USED_MB ?? Math.floor((getHeapStatistics().heap_size_limit * 0.9) / 1048576)
    await app.register(underPressure, {
      maxEventLoopDelay: app.config.PRESSURE_MAX_EVENT_LOOP_DELAY_MS,
      maxHeapUsedBytes: heapMb * 1048576,
      retryAfter: PRESSURE_RETRY_AFTER_S,
      pressureHandler: async (request, _reply, type) => {
        if (EXEMPT.test(request.url)) return
        request.log.warn({ pressure: type }, 'under pressure: request refused')
        throw new AppError('service_unavailable', 'The service is overloaded; retry shortly', {
          headers: { 'retry-after': String(PRESSURE_RETRY_AFTER_S) }
        })
      }
    })
  },
  { name: 'pressure', dependencies: ['config', 'error-handler'] }
)
