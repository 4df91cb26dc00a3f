import pino from 'pino'
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig, type Config } from './config/config.js'
import { chooseServices, type ServicesChoice } from './config/services.js'
import { EmbeddedRefusedError, EmbeddedUnavailableError } from './embedded/embedded-postgres.js'
import { createDatabase } from './db/database.js'
import { ensureDatabase, migrateToLatest } from './db/migrate.js'
import { DatabaseUnavailableError, withDatabaseRetry } from './db/startup.js'
import { startHeartbeat } from './health-file.js'
import { loggerOptions } from './logger.js'
import { startServer } from './server.js'
import { startWorker } from './worker.js'

type Mode = 'all' | 'api' | 'worker'

/** Creates the database if missing and migrates it, waiting for PostgreSQL as long as DATABASE_CONNECT_TIMEOUT_MS allows. */
async function prepareDatabase(config: Config, log: pino.Logger, signal: AbortSignal): Promise<void> {
  await withDatabaseRetry(
    config.DATABASE_URL,
    async () => {
      await ensureDatabase(config.DATABASE_URL)
      const { db } = createDatabase(config.DATABASE_URL, 1)
      try {
        const result = await migrateToLatest(db)
        const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
        if (applied.length > 0) log.info({ applied }, 'migrations applied')
      } finally {
        await db.destroy()
      }
    },
    { timeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS, log, given: config.given.DATABASE_URL, signal }
  )
}

async function main(): Promise<void> {
  const mode = (process.argv[2] ?? 'all') as Mode
  if (!['all', 'api', 'worker'].includes(mode)) {
    process.stderr.write(`Unknown mode "${mode}": use all, api or worker\n`)
    process.exit(2)
  }
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(78)
    }
    throw err
  }
  const log = pino(loggerOptions(config.LOG_LEVEL))
  if (config.JWT_SECRET === DEVELOPMENT_JWT_SECRET && mode !== 'worker') {
    // Loud on purpose, at any log level: this secret is in the repository, so anyone can mint tokens.
    const warning =
      'WARNING: JWT_SECRET is the development secret, which is public: anyone can sign a token for any role. Set JWT_SECRET (32+ characters) or JWT_JWKS_URL; NODE_ENV=production refuses to start with it.'
    process.stderr.write(`\n${'!'.repeat(100)}\n${warning}\n${'!'.repeat(100)}\n\n`)
    log.warn({ setting: 'JWT_SECRET' }, warning)
  }
  const phases: Record<string, number> = {}
  let mark = Date.now()
  const phase = (name: string): void => {
    const now = Date.now()
    phases[name] = now - mark
    mark = now
  }
  phases.load = Math.round(process.uptime() * 1000)

  const closers: Array<() => Promise<void>> = []
  let services: ServicesChoice | null = null
  let closing = false
  let starting: Promise<unknown> = Promise.resolve()
  const stopStarting = new AbortController()
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    stopStarting.abort()
    log.info({ signal }, 'shutting down: finishing requests and jobs in progress')
    const force = setTimeout(() => {
      log.error('shutdown took longer than 10 s; exiting')
      // Still stop the embedded server when this is its last user, rather than leave it running.
      const released = services?.release() ?? Promise.resolve()
      void Promise.race([released, new Promise((resolve) => setTimeout(resolve, 3000))]).finally(() => process.exit(1))
    }, 10_000)
    force.unref()
    // A signal during start-up waits for it, so that what it opened (an embedded server) is closed too.
    starting
      .catch(() => {})
      .then(
        async () =>
          await Promise.allSettled(
            closers.map(async (c) => {
              await c()
            })
          )
      )
      // Last: the embedded server outlives the requests and jobs that use it.
      .then(async () => {
        await services?.release()
      })
      .then(() => {
        log.info('shut down cleanly')
        process.exit(0)
      })
      .catch(() => process.exit(1))
  }
  process.on('SIGTERM', () => {
    shutdown('SIGTERM')
  })
  process.on('SIGINT', () => {
    shutdown('SIGINT')
  })

  const start = async (): Promise<void> => {
    try {
      services = await chooseServices(config)
    } catch (err) {
      if (err instanceof EmbeddedUnavailableError || err instanceof EmbeddedRefusedError) {
        log.fatal(`cannot start: ${err.message}`)
        process.exit(1)
      }
      throw err
    }
    config = services.config
    log.info(
      {
        database: services.database.kind,
        queues: services.queues.kind,
        ...(services.embedded !== null ? { data_dir: services.embedded.dataDir, embedded: services.embedded.how } : {})
      },
      services.summary
    )
    phase('services')
    try {
      await prepareDatabase(config, log, stopStarting.signal)
    } catch (err) {
      if (err instanceof DatabaseUnavailableError) {
        log.fatal({ setting: 'DATABASE_URL' }, `cannot start: ${err.message}`)
        await services.release().catch(() => {})
        process.exit(1)
      }
      throw err
    }
    phase('database')
    if (closing) return
    if (mode === 'all' || mode === 'api') {
      const app = await startServer(config)
      closers.push(async () => {
        await app.close()
      })
      phase('api')
    }
    if (mode === 'all' || mode === 'worker') {
      const worker = await startWorker(config, { logger: log })
      closers.push(worker.close)
      if (config.HEALTH_FILE !== undefined) closers.push(startHeartbeat(config.HEALTH_FILE, worker.healthy))
      phase('worker')
    }
  }
  starting = start()
  try {
    await starting
  } catch (err) {
    // What started is closed before the embedded server is left, which another instance may be using.
    await Promise.allSettled(
      closers.map(async (c) => {
        await c()
      })
    )
    await (services as ServicesChoice | null)?.release().catch(() => {})
    throw err
  }
  if (closing) return
  // ms: from process start (module loading included) to ready; phases_ms: where it went.
  log.info(
    {
      mode,
      ms: Math.round(process.uptime() * 1000),
      phases_ms: phases,
      rss_mb: Math.round(process.memoryUsage().rss / 1048576)
    },
    'waymark ready'
  )
}

main().catch((err: unknown) => {
  process.stderr.write(`waymark failed to start: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
