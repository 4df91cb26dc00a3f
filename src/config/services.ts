import { connect } from 'node:net'
import type { Config } from './config.js'
import { acquireEmbeddedPostgres, type EmbeddedServer } from '../embedded/embedded-postgres.js'

/**
 * Chooses the database and the queue backend, once per process, the same way for the service and
 * the scripts (`migrate`, `seed:demo`, `token`):
 *
 * - `DATABASE_URL` set: that server. Unset: the local server when something answers at
 *   127.0.0.1:5432, else (`EMBEDDED=auto`, never in production) the embedded PostgreSQL of
 *   `WAYMARK_DATA_DIR`, started or joined.
 * - `REDIS_URL` set: that Redis. Unset: the local Redis when something answers at 127.0.0.1:6379,
 *   else (`EMBEDDED=auto`) BullMQ's PostgreSQL backend on the chosen database.
 *
 * With `EMBEDDED=never` the defaults are the local servers, waited for as before.
 */

export interface ServicesChoice {
  /** The configuration with DATABASE_URL and the queue backend as chosen. */
  config: Config
  database: { kind: 'given' | 'local' | 'embedded'; reason: string }
  queues: { kind: Config['queueBackend']; reason: string }
  embedded: EmbeddedServer | null
  /** One line saying what was chosen and why. */
  summary: string
  /** Leaves the embedded server (stopping it when this is its last user); nothing otherwise. */
  release: () => Promise<void>
}

/** True when something accepts a TCP connection at 127.0.0.1:port within `ms`. */
export async function answers(port: number, ms = 500): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(ms, () => {
      done(false)
    })
    socket.once('connect', () => {
      done(true)
    })
    socket.once('error', () => {
      done(false)
    })
  })
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'waymark'
}

export async function chooseServices(config: Config): Promise<ServicesChoice> {
  const auto = config.EMBEDDED === 'auto'
  const [pgAnswers, redisAnswers] = await Promise.all([
    config.given.DATABASE_URL || !auto ? true : answers(5432),
    config.given.REDIS_URL || !auto ? true : answers(6379)
  ])

  let database: ServicesChoice['database']
  let embedded: EmbeddedServer | null = null
  let databaseUrl = config.DATABASE_URL
  if (config.given.DATABASE_URL) {
    database = { kind: 'given', reason: 'DATABASE_URL is set' }
  } else if (!auto) {
    database = {
      kind: 'local',
      reason: `DATABASE_URL is unset and EMBEDDED=never${config.NODE_ENV === 'production' ? ' (production)' : ''}`
    }
  } else if (pgAnswers) {
    database = { kind: 'local', reason: 'DATABASE_URL is unset and PostgreSQL answers at 127.0.0.1:5432' }
  } else {
    embedded = await acquireEmbeddedPostgres({ dataDir: config.WAYMARK_DATA_DIR })
    databaseUrl = embedded.url(databaseName(config.DATABASE_URL))
    database = { kind: 'embedded', reason: 'DATABASE_URL is unset and nothing answers at 127.0.0.1:5432' }
  }

  let queues: ServicesChoice['queues']
  if (config.given.REDIS_URL) {
    queues = { kind: 'redis', reason: 'REDIS_URL is set' }
  } else if (!auto) {
    queues = { kind: 'redis', reason: 'REDIS_URL is unset and EMBEDDED=never' }
  } else if (redisAnswers) {
    queues = { kind: 'redis', reason: 'REDIS_URL is unset and Redis answers at 127.0.0.1:6379' }
  } else {
    queues = { kind: 'postgres', reason: 'REDIS_URL is unset and nothing answers at 127.0.0.1:6379' }
  }

  const where = {
    given: 'PostgreSQL at DATABASE_URL',
    local: 'the local PostgreSQL (127.0.0.1:5432)',
    embedded:
      embedded === null
        ? ''
        : `the embedded PostgreSQL of ${embedded.dataDir} (port ${embedded.port}, ${embedded.how === 'started' ? 'started' : embedded.how === 'joined' ? 'joined the running server' : 'took over the server a killed run left'})`
  }[database.kind]
  const queuesWhere =
    queues.kind === 'postgres'
      ? 'queues on PostgreSQL (BullMQ PostgreSQL backend)'
      : `queues on Redis${config.given.REDIS_URL ? ' at REDIS_URL' : ' (127.0.0.1:6379)'}`
  const summary = `database: ${where}, as ${database.reason}; ${queuesWhere}, as ${queues.reason}`

  return {
    config: { ...config, DATABASE_URL: databaseUrl, queueBackend: queues.kind },
    database,
    queues,
    embedded,
    summary,
    release: async () => {
      if (embedded !== null) await embedded.release()
    }
  }
}
