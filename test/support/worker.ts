import { PassThrough } from 'node:stream'
import pino from 'pino'
import type { Test } from 'tap'
import type { Config } from '../../src/config/config.js'
import { loggerOptions } from '../../src/logger.js'
import { startWorker, type WorkerHandle } from '../../src/worker.js'
import { tcpProxy, type TcpProxy } from './proxy.js'

/** A captured log: every line, parsed. */
export interface LogCapture {
  lines: string[]
  text: () => string
  records: () => Array<Record<string, unknown>>
}

export function captureLog(): { stream: PassThrough; capture: LogCapture } {
  const lines: string[] = []
  const stream = new PassThrough()
  stream.on('data', (chunk: Buffer) => {
    lines.push(chunk.toString('utf8'))
  })
  return {
    stream,
    capture: {
      lines,
      text: () => lines.join(''),
      records: () =>
        lines
          .join('')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
    }
  }
}

export type TestWorker = WorkerHandle & { log: pino.Logger; logs: LogCapture }

/** Workers in this process (notification sender, outbox relay, scheduled jobs), logging to a captured stream, closed when the test ends. */
export async function startTestWorker(t: Test, config: Config): Promise<TestWorker> {
  const { stream, capture } = captureLog()
  const logger = pino(loggerOptions(config.LOG_LEVEL), stream)
  const handle = await startWorker(config, { logger })
  let closed: Promise<void> | null = null
  const close = async (): Promise<void> => {
    closed ??= handle.close()
    await closed
  }
  t.teardown(close)
  return { ...handle, close, log: logger, logs: capture }
}

/**
 * A worker that reaches PostgreSQL through a TCP proxy the test can freeze (all of it, or one connection),
 * with settings over the test's; the API and the test's own handle stay on the direct connection.
 */
export async function startWorkerBehindProxy(
  t: Test,
  config: Config,
  settings: Partial<Config> = {}
): Promise<{ worker: TestWorker; proxy: TcpProxy }> {
  const proxy = await tcpProxy(t, 5432)
  const url = new URL(config.DATABASE_URL)
  url.port = String(proxy.port)
  const worker = await startTestWorker(t, { ...config, DATABASE_URL: url.toString(), ...settings })
  return { worker, proxy }
}
