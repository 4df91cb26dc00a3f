import pg from 'pg'
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely'
import type { DB } from './types.js'
import { statementName } from './prepared.js'

// DATE columns stay 'YYYY-MM-DD' strings: a date of birth has no time zone.
pg.types.setTypeParser(1082, (v) => v)
// BIGINT counts fit comfortably in a JS number here.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10))

export type Database = Kysely<DB>
export type Executor = Kysely<DB> | Transaction<DB>

export interface DatabaseHandle {
  db: Database
  pool: pg.Pool
}

const READ_TIMEOUT = 'Query read timeout'

/**
 * A client that sends the statements of prepared.ts by name, so PostgreSQL plans each once, and that
 * drops its connection when a query gets no answer in time (a frozen server): what was sent may
 * still be answered later, or leave a transaction open, so the connection is never reused.
 */
class NamingClient extends pg.Client {
  override query(...args: any[]): any {
    let result: any
    if (args.length === 2 && typeof args[0] === 'string' && statementName(args[0]) !== undefined) {
      result = super.query({ name: statementName(args[0]) as string, text: args[0], values: args[1] })
    } else {
      result = (super.query as (...a: any[]) => any)(...args)
    }
    if (result === undefined || typeof result.then !== 'function') return result
    return result.catch((err: unknown) => {
      if ((err as Error | null)?.message === READ_TIMEOUT) {
        ;(this as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy()
      }
      throw err
    })
  }
}

export interface DatabaseOptions {
  /** PostgreSQL cancels a statement running longer (statement_timeout); default 30 s. */
  statementTimeoutMs?: number
}

/** How much longer than statement_timeout the client waits for an answer before giving up on the server. */
export const CLIENT_TIMEOUT_MARGIN_MS = 1000

export function createDatabase(connectionString: string, max: number, options: DatabaseOptions = {}): DatabaseHandle {
  const statementTimeout = options.statementTimeoutMs ?? 30000
  const pool = new pg.Pool({
    Client: NamingClient,
    connectionString,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    // A server that stops answering (frozen, not down) never cancels anything itself: the client
    // bounds every query too.
    query_timeout: statementTimeout + CLIENT_TIMEOUT_MARGIN_MS,
    options: `-c TimeZone=UTC -c statement_timeout=${statementTimeout}`
  })
  // An idle client losing its server (a PostgreSQL restart) must not crash the process.
  pool.on('error', () => {})
  // A client in use has no idle error listener: a server restart mid-query would emit an unhandled
  // 'error' and end the process. The query itself still fails, and the request is answered 503.
  pool.on('connect', (client) => {
    client.on('error', () => {})
  })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return { db, pool }
}

/** A round trip to PostgreSQL: readiness checks. */
export async function ping(db: Executor): Promise<void> {
  await sql`select 1`.execute(db)
}

/** True when the error means PostgreSQL is unreachable rather than that the query was wrong. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  if (e === null || typeof e !== 'object') return false
  const codes = new Set([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    '57P01',
    '57P02',
    '57P03',
    '08000',
    '08001',
    '08003',
    '08006'
  ])
  if (e.code !== undefined && codes.has(e.code)) return true
  const msg = e.message ?? ''
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Query read timeout|Connection is not queryable|^timeout expired$/.test(
    msg
  )
}

/**
 * One batch in its own short transaction. JIT compilation is off: these are index-driven batch
 * queries whose cost estimates can run high, and compiling them costs more than running them.
 */
export async function batchTransaction<T>(db: Database, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return await db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx)
    return await work(trx)
  })
}
