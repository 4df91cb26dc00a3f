import http from 'node:http'
import type { Test } from 'tap'
import { Webhook } from 'standardwebhooks'
import { waitUntil } from './time.js'

export interface ReceivedWebhook {
  path: string
  id: string
  timestamp: string
  signature: string
  body: string
  /** The payload as the official Standard Webhooks library verified it, or null when no secret verified it. */
  verified: { type: string; timestamp: string; data: Record<string, unknown> } | null
  /** The secrets (by index into `secrets`) that verify it on their own. */
  verifiedBy: number[]
  at: number
}

export interface WebhookReceiver {
  url: string
  received: ReceivedWebhook[]
  /** The secrets a receiver holds; each is tried, as a receiver mid-rotation would. */
  secrets: string[]
  /** The status of the next answers, in turn (then `status`). */
  plan: number[]
  status: number
  /** Hold every request unanswered (a receiver that hangs). */
  hang: boolean
  waitFor: (count: number, ms?: number) => Promise<ReceivedWebhook[]>
}

/**
 * A real HTTP receiver that verifies each request exactly as a council's system would, with the
 * `standardwebhooks` package, and answers as told (200 unless planned otherwise). Closed when the test ends.
 */
export async function startWebhookReceiver(t: Pick<Test, 'teardown'>): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    secrets: [],
    plan: [],
    status: 200,
    hang: false,
    waitFor: async (count, ms = 15_000) => {
      await waitUntil(() => receiver.received.length >= count, ms, `${count} webhooks`)
      return receiver.received
    }
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? '')
      }
      let verified: ReceivedWebhook['verified'] = null
      const verifiedBy: number[] = []
      receiver.secrets.forEach((secret, i) => {
        try {
          verified = new Webhook(secret).verify(body, headers) as ReceivedWebhook['verified']
          verifiedBy.push(i)
        } catch {
          /* not this secret */
        }
      })
      receiver.received.push({
        path: req.url ?? '',
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        body,
        verified,
        verifiedBy,
        at: Date.now()
      })
      if (receiver.hang) return
      res.statusCode = receiver.plan.shift() ?? receiver.status
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return receiver
}
