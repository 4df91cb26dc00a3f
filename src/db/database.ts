import pg from 'pg'
import { CompiledQuery, Kysely, PostgresDialect, sql, type Transaction } from 'kysely'
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

/** Sets how long the next statements may wait for a lock, and raises their bound to match (see withLockWait). */
const LOCK_WAIT_SQL = "select set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)"
/** Ends a raise: the connection's own bound again, for the rest of the transaction. */
const RESTORE_BOUND_SQL = 'set local statement_timeout to default'

/**
 * A client that sends the statements of prepared.ts by name, so PostgreSQL plans each once, and that
 * drops its connection when a query gets no answer in time (a frozen server): what was sent may
 * still be answered later, or leave a transaction open, so the connection is never reused. Inside
 * withLockWait its own wait is raised with the server's statement_timeout, until the raise ends.
 */
class NamingClient extends pg.Client {
  /** The client's wait while a raise is in force; null: the pool's query_timeout. */
  private raisedTimeoutMs: number | null = null

  static {
    // pg's `query` takes a dozen overloads; this one implementation serves them all and answers as pg does.
    NamingClient.prototype.query = function (this: NamingClient, ...args: unknown[]) {
      return this.sendNaming(args)
    } as pg.Client['query']
  }

  private sendNaming(args: unknown[]): unknown {
    const text: unknown = args[0]
    // The raise applies from the statement after it; its end, from the statement that ends it.
    const raised = this.raisedTimeoutMs
    if (typeof text === 'string') this.followBound(text, args[1])
    const timeout = text === LOCK_WAIT_SQL ? raised : this.raisedTimeoutMs
    const result: unknown =
      args.length === 2 && typeof text === 'string' && Array.isArray(args[1])
        ? super.query(namedQuery(text, args[1], timeout))
        : Reflect.apply(super.query, this, args)
    if (!isPromise(result)) return result
    return result.catch((err: unknown) => {
      if ((err as Error | null)?.message === READ_TIMEOUT) this.connection.stream.destroy()
      throw err
    })
  }

  private followBound(text: string, values: unknown): void {
    if (text === LOCK_WAIT_SQL && Array.isArray(values)) {
      this.raisedTimeoutMs = Number.parseInt(String(values[1]), 10) + CLIENT_TIMEOUT_MARGIN_MS
    } else if (text === RESTORE_BOUND_SQL || text === 'begin' || text === 'commit' || text === 'rollback') {
      // A transaction's end ends its settings on the server too.
      this.raisedTimeoutMs = null
    }
  }
}

/** A statement sent by its prepared name when prepared.ts names it, waiting `timeout` ms when raised. */
function namedQuery(
  text: string,
  values: unknown[],
  timeout: number | null
): pg.QueryConfig & { query_timeout?: number } {
  const name = statementName(text)
  return {
    ...(name !== undefined ? { name } : {}),
    text,
    values,
    ...(timeout !== null ? { query_timeout: timeout } : {})
  }
}

const isPromise = (v: unknown): v is Promise<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'

export interface DatabaseOptions {
  /**
   * PostgreSQL cancels a statement running longer (statement_timeout), and the client gives up on an
   * answer a second later (a frozen server); default 30 s. The API and the worker use DATABASE_QUERY_TIMEOUT_MS.
   */
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
    // A new connection to a frozen server is given up on as soon as a query would be.
    connectionTimeoutMillis: Math.min(5000, statementTimeout + CLIENT_TIMEOUT_MARGIN_MS),
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

/** How long a statement that got its lock may still run, past the lock wait, inside withLockWait. */
const LOCKED_STATEMENT_MS = 2000

/**
 * Runs `work`, whose statements may wait up to `lockMs` for a row lock (then fail with lock_not_available,
 * 55P03), in a transaction. That wait may be longer than the connection's bound (DATABASE_QUERY_TIMEOUT_MS),
 * so the bound is raised explicitly, for those statements only, to the lock wait and two seconds, on the
 * server (statement_timeout) and in the client; once `work` is done the transaction has its bound again.
 */
export async function withLockWait<T>(trx: Transaction<DB>, lockMs: number, work: () => Promise<T>): Promise<T> {
  const wait = Math.max(1, Math.round(lockMs))
  await trx.executeQuery(CompiledQuery.raw(LOCK_WAIT_SQL, [`${wait}ms`, `${wait + LOCKED_STATEMENT_MS}ms`]))
  // Not restored when `work` fails: the transaction is then aborted and rolls back, settings with it.
  const result = await work()
  await trx.executeQuery(CompiledQuery.raw(RESTORE_BOUND_SQL))
  return result
}
