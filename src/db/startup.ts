import { isConnectionError } from './database.js'

/** PostgreSQL did not answer within DATABASE_CONNECT_TIMEOUT_MS at start-up. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError'
}

interface Log {
  warn: (obj: object, msg: string) => void
}

export interface WaitOptions {
  /** DATABASE_CONNECT_TIMEOUT_MS: how long to keep trying. */
  timeoutMs: number
  log: Log
  /** Whether DATABASE_URL was set (else it is the local default or the embedded server's). */
  given: boolean
  /** Stops the waiting (a signal during start-up): resolves undefined. */
  signal?: AbortSignal
}

/** Where a database URL points, without its credentials: host:port/database. */
export function databaseAddress(url: string): string {
  const u = new URL(url)
  return `${u.hostname}:${u.port === '' ? '5432' : u.port}${decodeURIComponent(u.pathname) || '/'}`
}

function reasonOf(err: unknown): string {
  const e = err as { code?: string; message?: string }
  // Driver connection messages name hosts and ports, never row values.
  return e.code !== undefined && /^E[A-Z_]+$/.test(e.code) ? e.code : (e.message ?? String(err)).slice(0, 120)
}

/**
 * Runs `work` (create the database, migrate) and, while PostgreSQL cannot be reached (down, still
 * starting, frozen), tries again with a growing pause, saying each time which server it waits for,
 * until `timeoutMs` has passed; then throws a DatabaseUnavailableError naming DATABASE_URL. Any other
 * failure (a wrong password, a failed migration) is thrown at once.
 */
export async function withDatabaseRetry<T>(
  url: string,
  work: () => Promise<T>,
  o: WaitOptions
): Promise<T | undefined> {
  const started = Date.now()
  const where = `PostgreSQL at ${o.given ? 'DATABASE_URL' : 'DATABASE_URL (unset: the default)'} ${databaseAddress(url)}`
  const aborted = (): boolean => o.signal?.aborted === true
  let pause = 500
  for (let attempt = 1; ; attempt++) {
    if (aborted()) return undefined
    try {
      return await work()
    } catch (err) {
      if (!isConnectionError(err)) throw err
      const left = started + o.timeoutMs - Date.now()
      if (aborted()) return undefined
      if (left <= 0) {
        throw new DatabaseUnavailableError(
          `${where} did not answer within ${Math.round(o.timeoutMs / 1000)} s (${reasonOf(err)}): check DATABASE_URL and that the server is running and reachable, or allow longer with DATABASE_CONNECT_TIMEOUT_MS`
        )
      }
      const wait = Math.min(pause, left)
      pause = Math.min(pause * 2, 5000)
      o.log.warn(
        {
          setting: 'DATABASE_URL',
          database: databaseAddress(url),
          attempt,
          reason: reasonOf(err),
          retry_in_ms: wait,
          gives_up_in_ms: left
        },
        `${where} does not answer (${reasonOf(err)}); trying again in ${(wait / 1000).toFixed(1)} s, for ${Math.ceil(left / 1000)} s more (DATABASE_CONNECT_TIMEOUT_MS)`
      )
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait)
        o.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer)
            resolve()
          },
          { once: true }
        )
      })
    }
  }
}
