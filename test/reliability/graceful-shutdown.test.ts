import { request } from 'node:http'
import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { startMailListener } from '../support/mail.js'
import { closedPort, serviceEnv, spawnService } from '../support/processes.js'
import { createTestDatabase, openDatabase } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { tokenFor } from '../support/tokens.js'

t.test('SIGTERM: the request and the job in flight finish, then the process exits 0 within 10 s', async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const db = openDatabase(t, databaseUrl)
  const smtp = await startMailListener(t, { delayMs: 1500 })
  const port = await closedPort()
  const base = `http://127.0.0.1:${port}`
  const service = spawnService(t, 'all', serviceEnv({ databaseUrl, smtpUrl: smtp.url, port }))

  const ready = await service.waitForLine(/waymark ready/, 30_000)
  t.type(ready.ms, 'number')
  t.comment(`start-up to ready: ${String(ready.ms)} ms, rss ${String(ready.rss_mb)} MB`)
  await waitUntil(
    async () => (await fetch(`${base}/health/ready`).catch(() => null))?.status === 200,
    10_000,
    '/health/ready'
  )

  const call = async (
    method: string,
    path: string,
    token: string,
    body: unknown
  ): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    return { status: res.status, json: await res.json() }
  }
  const org = await call('POST', '/v1/organisations', tokenFor('platform_admin', { org: null }), {
    name: 'Shutdown Org',
    code: 'SHD'
  })
  t.equal(org.status, 201)
  const programme = await call('POST', '/v1/programmes', tokenFor('admin', { org: org.json.id }), {
    name: 'Shutdown Programme',
    kind: 'mentoring',
    rules: {}
  })
  t.equal(programme.status, 201)
  const referrer = tokenFor('referrer', { org: org.json.id })
  const first = await call(
    'POST',
    '/v1/referrals',
    referrer,
    referralBody(programme.json.id, { referrer: { email: 'first@school.example' } })
  )
  t.equal(first.status, 201)

  // The acknowledgement is now in flight: the listener holds it for 1.5 s.
  await waitUntil(() => smtp.held() === 1, 10_000, 'the acknowledgement in flight')

  // A request in flight: headers and half the body sent before SIGTERM, the rest after.
  const payload = Buffer.from(
    JSON.stringify(referralBody(programme.json.id, { referrer: { email: 'second@school.example' } }))
  )
  const half = Math.floor(payload.length / 2)
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      `${base}/v1/referrals`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${referrer}`,
          'content-type': 'application/json',
          'content-length': String(payload.length)
        }
      },
      (res) => {
        let body = ''
        res.on('data', (c: Buffer) => {
          body += c.toString('utf8')
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      }
    )
    req.on('error', reject)
    req.write(payload.subarray(0, half))
    setTimeout(() => {
      service.proc.kill('SIGTERM')
      setTimeout(() => {
        req.end(payload.subarray(half))
      }, 300)
    }, 200)
  })
  const signalled = Date.now() + 200
  const answered = await response
  t.equal(answered.status, 201, `the request in flight completed: ${answered.body.slice(0, 200)}`)

  const exit = await service.exited
  const took = Date.now() - signalled
  t.equal(exit.code, 0, 'exit code 0')
  t.ok(took < 10_000, `exited ${took} ms after SIGTERM`)
  // The job in flight needs at most 1.5 s more; a keep-alive socket left open would add 5 s.
  t.ok(took < 4500, 'no idle keep-alive socket holds the exit')
  t.comment(`exited ${took} ms after SIGTERM`)
  t.ok(service.output().includes('shut down cleanly'))

  t.equal(smtp.messages.length, 1, 'the acknowledgement in flight was delivered before exit')
  const n = await db
    .selectFrom('notifications')
    .select(['status', 'recipient'])
    .where('recipient', '=', 'first@school.example')
    .executeTakeFirstOrThrow()
  t.equal(n.status, 'sent', 'and recorded as sent')
  const refused = await fetch(`${base}/health/live`).then(
    () => 'answered',
    () => 'refused'
  )
  t.equal(refused, 'refused', 'nothing listens any more')
})
