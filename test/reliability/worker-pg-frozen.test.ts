import t from 'tap'
import type { Database } from '../../src/db/database.js'
import { sql } from 'kysely'
import { referralBody } from '../support/bodies.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { startTestWorker, startWorkerBehindProxy } from '../support/worker.js'

const BOUND = 2000

interface Outbox {
  id: string
  status: string
  attempts: number
  last_error: string | null
}

async function outboxRow(db: Database, email: string): Promise<Outbox> {
  return await db
    .selectFrom('notifications')
    .select(['id', 'status', 'attempts', 'last_error'])
    .where('recipient', '=', email)
    .executeTakeFirstOrThrow()
}

t.test(
  'PostgreSQL frozen under the worker: a job gives up within DATABASE_QUERY_TIMEOUT_MS and is retried after the thaw, sent once',
  async (t) => {
    const { app, config, db, tenant, tokens, smtp } = await setUp(t, { smtp: true })
    const { referrer } = tokens
    const programmeId = await tenant.programme()
    const { worker, proxy } = await startWorkerBehindProxy(t, config, {
      DATABASE_QUERY_TIMEOUT_MS: BOUND,
      NOTIFICATION_BACKOFF_MS: 500
    })
    const notification = async (email: string): Promise<Outbox> => await outboxRow(db, email)
    // A first message, so the worker's pool holds connections when PostgreSQL freezes.
    await post(
      app,
      referrer,
      '/v1/referrals',
      referralBody(programmeId, { referrer: { email: 'warm@school.example' } })
    )
    await waitUntil(async () => (await notification('warm@school.example')).status === 'sent', 20_000, 'warm sent')

    proxy.freeze()
    const frozenAt = Date.now()
    const failedBefore = worker.logs.records().filter((r) => r.msg === 'notification job failed').length
    // The API is not behind the proxy: the referral commits and its job is queued at once.
    await post(
      app,
      referrer,
      '/v1/referrals',
      referralBody(programmeId, { referrer: { email: 'frozen@school.example' } })
    )
    await waitUntil(
      () => worker.logs.records().filter((r) => r.msg === 'notification job failed').length > failedBefore,
      40_000,
      'the job failed while PostgreSQL was frozen'
    )
    const failed = worker.logs.records().filter((r) => r.msg === 'notification job failed')[failedBefore]
    const gaveUp = (failed.time as number) - frozenAt
    t.ok(gaveUp < BOUND + 1000 + 2000, `the job gave up ${gaveUp} ms after the freeze (bound ${BOUND} ms + 1 s)`)
    t.match((failed.err as { message: string }).message, /timeout/i, 'a timeout, not a wrong query')
    t.equal(smtp.messages.filter((m) => m.to.includes('frozen@school.example')).length, 0, 'nothing sent while frozen')
    t.notOk(await worker.healthy(), 'the worker is not healthy while PostgreSQL does not answer')

    await new Promise((r) => setTimeout(r, 1000))
    proxy.thaw()
    const thawedAt = Date.now()
    await waitUntil(
      async () => (await notification('frozen@school.example')).status === 'sent',
      30_000,
      'sent after the thaw'
    )
    const sentAfter = Date.now() - thawedAt
    t.comment(
      `worker, PostgreSQL frozen: job failed after ${gaveUp} ms (bound ${BOUND} ms), sent ${sentAfter} ms after the thaw`
    )
    const n = await notification('frozen@school.example')
    const job = await app.queues.notifications.getJob(n.id)
    t.ok((job?.attemptsMade ?? 0) >= 2, `the job was retried (${job?.attemptsMade} attempts)`)
    await new Promise((r) => setTimeout(r, 1500))
    t.equal(smtp.messages.filter((m) => m.to.includes('frozen@school.example')).length, 1, 'sent once')
    t.equal(smtp.messages.filter((m) => m.to.includes('warm@school.example')).length, 1, 'the first one once too')
    await waitUntil(async () => await worker.healthy(), 15_000, 'healthy again')
  }
)

t.test(
  'a lock wait longer than the bound is raised for that statement alone: the job waits and sends once',
  async (t) => {
    const { app, db, tenant, tokens, smtp, config } = await setUp(t, { smtp: true })
    const { referrer } = tokens
    const programmeId = await tenant.programme()
    await post(
      app,
      referrer,
      '/v1/referrals',
      referralBody(programmeId, { referrer: { email: 'held@school.example' } })
    )
    const row = async (): Promise<Outbox> => await outboxRow(db, 'held@school.example')
    const { id } = await row()

    // Another holder keeps the row locked for twice the worker's bound (as a slow send by another worker would).
    let released = 0
    const holder = db.transaction().execute(async (trx) => {
      await trx.selectFrom('notifications').select('id').where('id', '=', id).forUpdate().execute()
      const worker = await startTestWorker(t, { ...config, DATABASE_QUERY_TIMEOUT_MS: BOUND })
      await waitUntil(
        async () =>
          (
            await sql<{ n: number }>`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`.execute(db)
          ).rows[0].n > 0,
        20_000,
        'the job waiting for the lock'
      )
      await new Promise((r) => setTimeout(r, 2 * BOUND))
      released = Date.now()
      return worker
    })
    const worker = await holder
    await waitUntil(async () => (await row()).status === 'sent', 10_000, 'sent once the lock is released')
    t.comment(
      `a lock held ${2 * BOUND} ms past the job's wait (bound ${BOUND} ms): sent ${Date.now() - released} ms after release`
    )
    const n = await row()
    t.equal(n.attempts, 1, 'one attempt: the wait was not counted as a failure')
    t.equal(n.last_error, null)
    t.equal(smtp.messages.filter((m) => m.to.includes('held@school.example')).length, 1, 'sent once')
    t.notOk(
      worker.logs.records().some((r) => r.msg === 'notification job failed'),
      'the job did not fail while it waited'
    )
  }
)
