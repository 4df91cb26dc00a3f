import { createServer, type IncomingMessage } from 'node:http'
import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'

interface NotifyServer {
  url: string
  requests: Array<{ reference: string; auth: string }>
}

/**
 * An HTTP server speaking GOV.UK Notify's send-email API: it answers the first `failTimes` requests
 * with `status` (Notify's error body) and accepts the rest with 201.
 */
async function notifyServer(t: Test, status: number, failTimes: number): Promise<NotifyServer> {
  const requests: NotifyServer['requests'] = []
  let failures = failTimes
  const body = async (req: IncomingMessage): Promise<any> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  }
  const server = createServer((req, res) => {
    void body(req).then((payload) => {
      requests.push({ reference: payload.reference, auth: req.headers.authorization ?? '' })
      res.setHeader('content-type', 'application/json')
      if (req.url !== '/v2/notifications/email') {
        res.writeHead(404).end('{}')
      } else if (failures > 0) {
        failures -= 1
        res.writeHead(status).end(
          JSON.stringify({
            status_code: status,
            errors: [{ error: status === 403 ? 'AuthError' : 'BadRequestError', message: 'Refused' }]
          })
        )
      } else {
        res
          .writeHead(201)
          .end(JSON.stringify({ id: randomUUID(), reference: payload.reference, content: {}, template: {}, uri: '' }))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests }
}

const env = (url: string): Record<string, string> => ({
  NOTIFY_API_KEY: `waymark_test-${randomUUID()}-${randomUUID()}`,
  NOTIFY_TEMPLATE_ID: randomUUID(),
  NOTIFY_BASE_URL: url,
  NOTIFICATION_BACKOFF_MS: '100'
})

for (const status of [400, 403]) {
  t.test(`GOV.UK Notify refusing with ${status} is permanent: tried once, recorded failed`, async (t) => {
    const notify = await notifyServer(t, status, 100)
    const {
      app,
      db,
      tenant,
      tokens: { referrer }
    } = await setUp(t, { worker: true, env: env(notify.url) })
    const created = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(await tenant.programme())
    })
    t.equal(created.statusCode, 201, created.body)
    const { id } = created.json()
    await waitUntil(
      async () =>
        (await db.selectFrom('notifications').select('status').where('subject_id', '=', id).executeTakeFirst())
          ?.status === 'failed',
      10_000,
      'failed'
    )
    await new Promise((r) => setTimeout(r, 800))
    t.equal(notify.requests.length, 1, 'one try')
    const n = await db.selectFrom('notifications').selectAll().where('subject_id', '=', id).executeTakeFirstOrThrow()
    t.equal(n.attempts, 1)
    t.match(n.last_error, new RegExp(`permanently \\(${status}\\)`))
  })
}

for (const status of [429, 500]) {
  t.test(`GOV.UK Notify answering ${status} is temporary: retried with backoff, sent once`, async (t) => {
    const notify = await notifyServer(t, status, 2)
    const {
      app,
      db,
      tenant,
      tokens: { referrer }
    } = await setUp(t, { worker: true, env: env(notify.url) })
    const created = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(await tenant.programme())
    })
    const { id } = created.json()
    await waitUntil(
      async () =>
        (await db.selectFrom('notifications').select('status').where('subject_id', '=', id).executeTakeFirst())
          ?.status === 'sent',
      10_000,
      'sent'
    )
    await new Promise((r) => setTimeout(r, 300))
    t.equal(notify.requests.length, 3, 'two refusals, then accepted')
    const n = await db.selectFrom('notifications').selectAll().where('subject_id', '=', id).executeTakeFirstOrThrow()
    t.equal(n.attempts, 3)
    t.equal(n.provider, 'notify')
    t.ok(
      notify.requests.every((r) => r.reference === n.id),
      'the same reference on every try'
    )
  })
}
