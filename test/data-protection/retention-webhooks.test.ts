import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { post, send } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { runJob } from '../support/jobs.js'
import { todayLocal, waitUntil } from '../support/time.js'
import { startWebhookReceiver } from '../support/webhook-receiver.js'
import { addMonths } from '../../src/lib/dates.js'

t.test('webhook events, their deliveries and the delivery log go after the notification class', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t, {
    worker: true,
    // One retry, an hour after the first attempt: a failed delivery stays due for the test's length.
    env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '3600' }
  })
  const today = todayLocal()
  const receiver = await startWebhookReceiver(t)
  const endpoint = await post(app, admin, '/v1/webhooks', { url: receiver.url, events: ['referral.created'] })
  const programme = await tenant.programme()
  const deliveries = async (): Promise<any[]> =>
    (await send(app, admin, 'GET', `/v1/webhooks/${endpoint.id as string}/deliveries`, undefined, 200)).data

  await post(app, coordinator, '/v1/referrals', referralBody(programme))
  await receiver.waitFor(1)
  await waitUntil(async () => (await deliveries())[0]?.status === 'succeeded', 15_000, 'the first delivery')
  // The second event's receiver fails: its delivery is due again in an hour.
  receiver.status = 500
  await post(app, coordinator, '/v1/referrals', referralBody(programme, { young_person: { given_name: 'Bea' } }))
  await receiver.waitFor(2)
  await waitUntil(
    async () => (await deliveries()).some((d) => d.status === 'failed' && d.next_attempt_at !== null),
    15_000,
    'the second delivery to fail'
  )

  const kept = await runJob(app, admin, 'retention', today)
  t.equal(kept.status, 'succeeded', JSON.stringify(kept))
  t.match(kept.counts, { webhook_events_deleted: 0, webhook_deliveries_deleted: 0 }, 'nothing recent goes')
  t.equal((await db.selectFrom('webhook_events').select('id').execute()).length, 2)

  const before = await deliveries()
  const delivered = before.find((d) => d.status === 'succeeded')
  const due = before.find((d) => d.status === 'failed')
  const run = await runJob(app, admin, 'retention', addMonths(today, 24))
  t.equal(run.status, 'succeeded', JSON.stringify(run))
  t.match(run.counts, { webhook_events_deleted: 1, webhook_deliveries_deleted: 1 })
  const left = await db.selectFrom('webhook_events').select('id').execute()
  t.same(
    left.map((e) => e.id),
    [due.event_id],
    'the delivered event went; the one still due to be tried again waits'
  )
  t.same(
    (await deliveries()).map((d) => d.id),
    [due.id],
    'its delivery and its log are gone'
  )
  t.equal((await db.selectFrom('webhook_deliveries').select('id').where('id', '=', delivered.id).execute()).length, 0)

  // Once nothing is due again, the last one goes too; a shorter class takes effect at once.
  await db.updateTable('webhook_deliveries').set({ status: 'exhausted', next_attempt_at: null }).execute()
  await send(app, admin, 'PATCH', '/v1/organisation/retention', { classes: { notification: 1 } }, 200)
  const shorter = await runJob(app, admin, 'retention', addMonths(today, 1))
  t.match(shorter.counts, { webhook_events_deleted: 1, webhook_deliveries_deleted: 1 })
  t.equal((await db.selectFrom('webhook_events').select('id').execute()).length, 0)
  t.equal((await db.selectFrom('webhook_endpoints').select('id').execute()).length, 1, 'the endpoint stays')
})
