import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import type { Config } from '../../src/config/config.js'
import { TEST_SECRET } from './tokens.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** A TCP port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface Child {
  proc: ChildProcess
  output: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  waitForLine: (pattern: RegExp, ms?: number) => Promise<Record<string, unknown>>
}

/**
 * Runs `src/main.ts <mode>` (or another entry point, such as the production bundle) as a child
 * process, under node itself (not the tsx wrapper) so that a signal reaches the service and not a
 * launcher, from `cwd` (the repository unless said). Killed when the test ends.
 */
export function spawnService(
  t: Test,
  mode: 'all' | 'api' | 'worker',
  env: Record<string, string>,
  entry: string[] = ['--import', 'tsx', 'src/main.ts'],
  cwd: string = ROOT
): Child {
  const proc = spawn(process.execPath, [...entry, mode], {
    cwd,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8')
  })
  proc.stderr?.on('data', (c: Buffer) => {
    out += c.toString('utf8')
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }))
  })
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL')
      await exited
    }
  })
  return {
    proc,
    output: () => out,
    exited,
    waitForLine: async (pattern, ms = 15_000) => {
      const until = Date.now() + ms
      while (Date.now() < until) {
        for (const line of out.split('\n')) {
          if (!pattern.test(line)) continue
          try {
            return JSON.parse(line) as Record<string, unknown>
          } catch {
            return { line }
          }
        }
        if (proc.exitCode !== null)
          throw new Error(`process exited (${proc.exitCode}) before logging ${pattern}: ${out}`)
        await new Promise((r) => setTimeout(r, 25))
      }
      throw new Error(`timed out waiting for ${pattern}: ${out}`)
    }
  }
}

export interface ServiceTarget {
  databaseUrl: string
  smtpUrl: string
  port?: number
}

/**
 * The settings of a service run as a child process against the test's database and SMTP listener
 * (and port, for the API): a queue prefix of its own, the test key, logs at info, a quick outbox relay.
 */
/**
 * The queue settings that put a spawned service on the same queues as the test's own app and
 * worker: the same key prefix, and Redis at the test's URL, or (queues on PostgreSQL) no REDIS_URL,
 * so that the service finds no Redis either and uses the PostgreSQL backend in its database.
 */
export function queueEnv(config: Pick<Config, 'queueBackend' | 'REDIS_URL' | 'QUEUE_PREFIX'>): Record<string, string> {
  return config.queueBackend === 'redis'
    ? { REDIS_URL: config.REDIS_URL, QUEUE_PREFIX: config.QUEUE_PREFIX }
    : { QUEUE_PREFIX: config.QUEUE_PREFIX }
}

export function serviceEnv(target: ServiceTarget, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: target.databaseUrl,
    ...(target.port !== undefined ? { PORT: String(target.port), HOST: '127.0.0.1' } : {}),
    QUEUE_PREFIX: `wmtest:${randomUUID().slice(0, 8)}`,
    SMTP_URL: target.smtpUrl,
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'info',
    OUTBOX_POLL_MS: '200',
    ...extra
  }
}
