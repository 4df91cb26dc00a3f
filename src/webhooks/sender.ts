import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { guardedLookup, isForbiddenAddress } from './destination.js'

export interface Attempt {
  /** The HTTP status of the answer; null when none came (refused, unreachable, timed out). */
  status: number | null
  durationMs: number
  /** Why the attempt failed, when it did. */
  error: string | null
}

export interface SendOptions {
  timeoutMs: number
  allowPrivate: boolean
}

const USER_AGENT = 'Waymark-Webhooks/1.0'

/**
 * POSTs one signed payload. A 2xx answer within the timeout succeeds; anything else (a redirect
 * included: none is followed) fails. Never throws.
 */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: SendOptions
): Promise<Attempt> {
  const started = performance.now()
  const done = (status: number | null, error: string | null): Attempt => ({
    status,
    durationMs: Math.round(performance.now() - started),
    error
  })
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return done(null, 'the URL is not valid')
  }
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1')
  if (isIP(host) !== 0 && !options.allowPrivate && isForbiddenAddress(host)) {
    return done(null, 'the URL is a loopback, private or link-local address')
  }
  const client = target.protocol === 'https:' ? https : http
  return await new Promise<Attempt>((resolve) => {
    let settled = false
    const finish = (status: number | null, error: string | null): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(done(status, error))
    }
    const req = client.request(
      target,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup(options.allowPrivate),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': USER_AGENT
        }
      },
      (res) => {
        // The status decides; the body is drained and dropped.
        const status = res.statusCode ?? null
        res.on('error', () => {})
        res.resume()
        finish(
          status,
          status !== null && status >= 200 && status < 300
            ? null
            : `the endpoint answered ${status ?? 'without a status'}`
        )
      }
    )
    // The whole attempt, connection and answer included, within the timeout.
    const timer = setTimeout(() => {
      finish(null, `no answer within ${options.timeoutMs} ms`)
      req.destroy()
    }, options.timeoutMs)
    req.on('error', (err: NodeJS.ErrnoException) => {
      finish(
        null,
        err.code === 'EWEBHOOKDESTINATION' ? err.message : `could not reach the endpoint (${err.code ?? err.message})`
      )
    })
    req.end(body)
  })
}
