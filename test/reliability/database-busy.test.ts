import t from 'tap'
import pg from 'pg'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'

/**
 * Concurrent submissions in one organisation take their references from one counter row, one after
 * another. When the queue behind it outlasts DATABASE_QUERY_TIMEOUT_MS (a busy night), the submission
 * is refused with a 503 and Retry-After, nothing of it written, and the same request succeeds later.
 */
t.test('a statement timed out waiting for a lock is a 503 to retry, and writes nothing', async (t) => {
  const { app, db, tenant, tokens, config } = await setUp(t, { env: { DATABASE_QUERY_TIMEOUT_MS: '500' } })
  const programmeId = await tenant.programme()
  const submit = async () =>
    await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(tokens.referrer),
      payload: referralBody(programmeId)
    })
  t.equal((await submit()).statusCode, 201, 'the first makes the counter row')

  const holder = new pg.Client({ connectionString: config.DATABASE_URL })
  await holder.connect()
  t.teardown(async () => {
    await holder.end()
  })
  await holder.query('begin')
  await holder.query('select * from reference_counters where organisation_id = $1 for update', [tenant.orgId])

  const busy = await submit()
  t.equal(busy.statusCode, 503)
  t.equal(busy.headers['retry-after'], '2')
  t.match(busy.headers['content-type'], /application\/problem\+json/)
  t.match(busy.json(), { status: 503, code: 'service_unavailable', detail: /busy/ })

  await holder.query('rollback')
  const count = await db.selectFrom('referrals').select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  t.equal(Number(count.n), 1, 'nothing of the refused submission was written')
  t.equal((await submit()).statusCode, 201, 'the same request succeeds once the counter is free')
})
