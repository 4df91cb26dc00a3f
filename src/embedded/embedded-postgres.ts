import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync
} from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import pg from 'pg'
import { findBinaries, EmbeddedUnavailableError, type Binaries } from './binaries.js'

export { EmbeddedUnavailableError }

/**
 * A PostgreSQL server of our own under a data directory, for a machine with nothing installed:
 *
 *   <data dir>/pg/          the cluster (initdb on first use)
 *   <data dir>/password     the generated superuser password, mode 0600
 *   <data dir>/port         the port last used, kept while it stays free
 *   <data dir>/postgres.log the server's log
 *   <data dir>/start.lock   held while an instance starts, joins or stops the server
 *
 * The server runs detached from the process that started it, so a terminal's Ctrl-C reaches the
 * service (which drains) but not the server. Every process using it holds a shared advisory lock on a
 * session of its own; leaving, it stops the server only when it can take that lock exclusively, that
 * is when no other instance holds it. A killed instance's session ends with its process, so a server
 * left by a killed run is simply joined by the next one, and stopped by the last to leave.
 */

/** The advisory lock key every instance holds while it uses the server. */
const USERS_LOCK = 0x7761796d // 'waym'
const SUPERUSER = 'postgres'

export class EmbeddedRefusedError extends Error {}

export interface EmbeddedServer {
  dataDir: string
  port: number
  /** A URL to the given database (created by the caller: `ensureDatabase`). */
  url: (database: string) => string
  /** `started`: by this process; `joined`: another instance's; `taken over`: one left by a killed run. */
  how: 'started' | 'joined' | 'taken over'
  /** Leaves the server; the last instance to leave stops it. */
  release: () => Promise<'stopped' | 'left'>
}

export interface EmbeddedOptions {
  dataDir: string
  /** How long to wait for another instance that is starting or stopping the server. */
  waitMs?: number
}

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** True while the process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  if (process.platform !== 'linux') return true
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** The running postmaster of a cluster, from its postmaster.pid: pid, port and status. */
function postmaster(pgdata: string): { pid: number; port: number; status: string } | null {
  let lines: string[]
  try {
    lines = readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')
  } catch {
    return null
  }
  const pid = Number.parseInt(lines[0] ?? '', 10)
  const port = Number.parseInt(lines[3] ?? '', 10)
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return null
  return { pid, port, status: (lines[7] ?? '').trim() }
}

/** Holds `<dir>/start.lock` while `fn` runs; a lock whose process has died is taken over. */
async function withStartLock<T>(dataDir: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  const file = path.join(dataDir, 'start.lock')
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      writeFileSync(fd, String(process.pid))
      closeSync(fd)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      let holder: number
      let age: number
      try {
        holder = Number.parseInt(readFileSync(file, 'utf8'), 10)
        age = Date.now() - statSync(file).mtimeMs
      } catch {
        continue // released meanwhile
      }
      if (!Number.isInteger(holder) || !alive(holder)) {
        // Left by a killed instance, or (no pid yet) being written this very moment.
        if (Number.isInteger(holder) || age > 1000) {
          try {
            unlinkSync(file)
          } catch {
            /* taken by another */
          }
        } else {
          await sleep(20)
        }
        continue
      }
      if (Date.now() > deadline) {
        throw new EmbeddedRefusedError(
          `the embedded PostgreSQL of ${dataDir} is being started or stopped by process ${holder} for too long; try again, or stop that process`
        )
      }
      await sleep(50)
    }
  }
  try {
    return await fn()
  } finally {
    try {
      unlinkSync(file)
    } catch {
      /* already gone */
    }
  }
}

async function freePort(preferred: number | undefined): Promise<number> {
  const tryPort = async (port: number): Promise<number | null> =>
    await new Promise((resolve) => {
      const server = createServer()
      server.once('error', () => {
        resolve(null)
      })
      server.listen(port, '127.0.0.1', () => {
        const got = (server.address() as { port: number }).port
        server.close(() => {
          resolve(got)
        })
      })
    })
  if (preferred !== undefined) {
    const port = await tryPort(preferred)
    if (port !== null) return port
  }
  const port = await tryPort(0)
  if (port === null) throw new Error('no free TCP port on 127.0.0.1 for the embedded PostgreSQL')
  return port
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-8).join('\n')
  } catch {
    return ''
  }
}

async function run(bin: Binaries, command: string, args: string[], log: string): Promise<void> {
  const [exe, ...pre] = bin.wrapper.length > 0 ? [...bin.wrapper, command] : [command]
  const fd = openSync(log, 'a', 0o600)
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(exe, [...pre, ...args], { stdio: ['ignore', fd, fd] })
      child.once('error', reject)
      child.once('exit', resolve)
    })
    if (code !== 0) throw new Error(`${path.basename(command)} exited with ${String(code)}:\n${logTail(log)}`)
  } finally {
    closeSync(fd)
  }
}

/** A first start: a new cluster whose superuser has a generated password, kept mode 0600. */
async function initCluster(bin: Binaries, dataDir: string, pgdata: string, passwordFile: string): Promise<void> {
  const password = randomBytes(24).toString('base64url')
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 })
  chmodSync(passwordFile, 0o600)
  await run(
    bin,
    bin.initdb,
    [
      '-D',
      pgdata,
      '-U',
      SUPERUSER,
      '--pwfile',
      passwordFile,
      '-A',
      'scram-sha-256',
      '-E',
      'UTF8',
      '--locale',
      'C',
      '--no-sync',
      '--no-instructions'
    ],
    path.join(dataDir, 'postgres.log')
  )
}

function readPassword(dataDir: string, passwordFile: string): string {
  try {
    return readFileSync(passwordFile, 'utf8').trim()
  } catch {
    throw new EmbeddedRefusedError(
      `${dataDir} holds a database but no password file (${passwordFile}): restore it, or remove ${dataDir} to start afresh`
    )
  }
}

/** Connects the session that marks this process as a user of the server. */
async function connectUser(port: number, password: string, timeoutMs: number): Promise<pg.Client | null> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: SUPERUSER,
      password,
      database: 'postgres',
      connectionTimeoutMillis: 2000,
      application_name: 'waymark (embedded user)'
    })
    client.on('error', () => {})
    try {
      await client.connect()
      return client
    } catch (err) {
      await client.end().catch(() => {})
      const code = (err as { code?: string }).code
      // Wrong password: not our server, or not our password file.
      if (code === '28P01' || code === '28000') throw err
      if (Date.now() > deadline) return null
      await sleep(40)
    }
  }
}

async function startServer(bin: Binaries, dataDir: string, pgdata: string): Promise<{ port: number; pid: number }> {
  const portFile = path.join(dataDir, 'port')
  const stored = existsSync(portFile) ? Number.parseInt(readFileSync(portFile, 'utf8'), 10) : undefined
  const port = await freePort(Number.isInteger(stored) ? stored : undefined)
  writeFileSync(portFile, `${port}\n`)
  const log = path.join(dataDir, 'postgres.log')
  const fd = openSync(log, 'a', 0o600)
  const args = [
    '-D',
    pgdata,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=32MB'
  ]
  const [exe, ...pre] = bin.wrapper.length > 0 ? [...bin.wrapper, bin.postgres] : [bin.postgres]
  // Detached: in a session of its own, a terminal's signals go to the service, which stops it itself.
  const child = spawn(exe, [...pre, ...args], { detached: true, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  child.unref()
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', resolve)
    child.once('error', () => {
      resolve(-1)
    })
  })
  const deadline = Date.now() + 30_000
  for (;;) {
    const running = postmaster(pgdata)
    if (running !== null && running.status === 'ready' && running.pid === child.pid) return { port, pid: running.pid }
    const code = await Promise.race([exited, sleep(25).then(() => undefined)])
    if (code !== undefined)
      throw new Error(`the embedded PostgreSQL stopped at start-up (exit ${String(code)}):\n${logTail(log)}`)
    if (Date.now() > deadline) {
      child.kill('SIGQUIT')
      throw new Error(`the embedded PostgreSQL was not ready within 30 s:\n${logTail(log)}`)
    }
  }
}

async function stopServer(pgdata: string, pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT')
  } catch {
    return
  }
  const deadline = Date.now() + 15_000
  let signal: NodeJS.Signals = 'SIGINT'
  // The postmaster removes its pid file after its final checkpoint, then exits.
  while (alive(pid)) {
    if (Date.now() > deadline && signal === 'SIGINT') {
      signal = 'SIGQUIT'
      try {
        process.kill(pid, signal)
      } catch {
        return
      }
    }
    await sleep(20)
  }
}

/**
 * Starts the embedded PostgreSQL of `dataDir`, or joins the one already running there (another
 * instance's, or one left by a killed run). Throws EmbeddedUnavailableError where there are no
 * binaries, EmbeddedRefusedError when the data dir is in a state this process must not touch.
 */
export async function acquireEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = path.resolve(options.dataDir)
  const waitMs = options.waitMs ?? 20_000
  const bin = await findBinaries()
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const pgdata = path.join(dataDir, 'pg')
  const passwordFile = path.join(dataDir, 'password')

  return await withStartLock(dataDir, waitMs, async () => {
    let running = postmaster(pgdata)
    // A server another instance is stopping: let it finish, then start afresh.
    const deadline = Date.now() + waitMs
    while (running !== null && running.status === 'stopping' && Date.now() < deadline) {
      await sleep(50)
      running = postmaster(pgdata)
    }
    let how: EmbeddedServer['how'] = 'joined'
    let port: number
    let pid: number
    if (running === null && !existsSync(path.join(pgdata, 'PG_VERSION')))
      await initCluster(bin, dataDir, pgdata, passwordFile)
    const password = readPassword(dataDir, passwordFile)
    if (running !== null) {
      port = running.port
      pid = running.pid
    } else {
      const started = await startServer(bin, dataDir, pgdata)
      port = started.port
      pid = started.pid
      how = 'started'
    }
    const user = await connectUser(port, password, 10_000)
    if (user === null) {
      throw new EmbeddedRefusedError(
        `the embedded PostgreSQL of ${dataDir} (process ${pid}, port ${port}) is running but does not answer: stop that process, then start again`
      )
    }
    await user.query('select pg_advisory_lock_shared($1)', [USERS_LOCK])
    if (how === 'joined') {
      const others = await user.query<{ n: number }>(
        "select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = $1 and pid <> pg_backend_pid()",
        [USERS_LOCK]
      )
      if (others.rows[0].n === 0) how = 'taken over'
    }

    let released: Promise<'stopped' | 'left'> | null = null
    const release = async (): Promise<'stopped' | 'left'> =>
      await withStartLock(dataDir, waitMs, async () => {
        try {
          await user.query('select pg_advisory_unlock_shared($1)', [USERS_LOCK])
          const last = await user.query<{ last: boolean }>('select pg_try_advisory_lock($1) as last', [USERS_LOCK])
          await user.end().catch(() => {})
          if (!last.rows[0].last) return 'left'
        } catch {
          // The session is gone (the server stopped or was killed): stop whatever is left of it.
          await user.end().catch(() => {})
        }
        const now = postmaster(pgdata)
        if (now !== null) await stopServer(pgdata, now.pid)
        return 'stopped'
      })

    return {
      dataDir,
      port,
      how,
      url: (database) =>
        `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
      release: async () => {
        released ??= release()
        return await released
      }
    }
  })
}
