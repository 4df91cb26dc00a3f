/**
 * The service as `npm start` runs it (the API and the workers in one process), on the database of
 * DATABASE_URL, with its queues where BENCH_QUEUE_BACKEND says: `postgres`, BullMQ's PostgreSQL
 * backend on that database (what `npm start` picks where nothing answers at 127.0.0.1:6379), or
 * `redis` (REDIS_URL). For bench/embedded.ts, which measures beside a running Redis, where the
 * service's own choice (src/config/services.ts) would always take Redis. The database must be migrated.
 */
import pino from 'pino'
import { loadConfig, type Config } from '../src/config/config.js'
import { loggerOptions } from '../src/logger.js'
import { startServer } from '../src/server.js'
import { startWorker } from '../src/worker.js'

const config: Config = {
  ...loadConfig(),
  queueBackend: process.env.BENCH_QUEUE_BACKEND === 'postgres' ? 'postgres' : 'redis'
}
const log = pino(loggerOptions(config.LOG_LEVEL))
const app = await startServer(config)
const worker = await startWorker(config, { logger: log })

let closing = false
const shutdown = (): void => {
  if (closing) return
  closing = true
  void Promise.allSettled([app.close(), worker.close()]).then(() => process.exit(0))
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
