import t from 'tap'
import { build } from '../support/set-up.js'
import { auth, tokenFor } from '../support/tokens.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('every response carries a request id, and a valid incoming one is kept', async (t) => {
  const { app, logs } = await build(t, { LOG_LEVEL: 'info' })

  const plain = await app.inject({ method: 'GET', url: '/health/live' })
  t.match(plain.headers['x-request-id'], UUID, 'a generated id')
  const other = await app.inject({ method: 'GET', url: '/health/live' })
  t.not(other.headers['x-request-id'], plain.headers['x-request-id'], 'one per request')

  const given = 'gateway-7f3a9c21-trace'
  const echoed = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': given } })
  t.equal(echoed.headers['x-request-id'], given, 'echoed')

  const problemId = 'client-req-000123456'
  const problem = await app.inject({ method: 'GET', url: '/v1/referrals', headers: { 'x-request-id': problemId } })
  t.equal(problem.statusCode, 401)
  t.equal(problem.headers['x-request-id'], problemId)
  t.equal(problem.json().request_id, problemId, 'in the problem body')

  const invalidId = 'client-req-000654321'
  const invalid = await app.inject({
    method: 'GET',
    url: '/v1/referrals?limit=0',
    headers: {
      ...auth(tokenFor('coordinator', { org: '00000000-0000-4000-8000-000000000001' })),
      'x-request-id': invalidId
    }
  })
  t.equal(invalid.statusCode, 400)
  t.equal(invalid.json().request_id, invalidId)

  for (const bad of ['short', 'has spaces in it', 'x'.repeat(101), 'semi;colon;value']) {
    const res = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': bad } })
    t.match(res.headers['x-request-id'], UUID, `replaced: ${bad.slice(0, 20)}`)
  }

  await new Promise((r) => setTimeout(r, 100))
  const lines = logs
    .join('')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  for (const id of [given, problemId, invalidId]) {
    const mine = lines.filter((l) => l.reqId === id)
    t.ok(mine.length >= 2, `${id}: its log lines carry it (${mine.length})`)
  }
  const warned = lines.filter((l) => l.reqId === problemId && l.level === 40)
  t.equal(warned.length, 1, 'the 4xx is logged at warn with the request id')
})
