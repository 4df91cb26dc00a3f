import { sql, type RawBuilder, type Transaction } from 'kysely'
import { withLockWait, type Executor } from '../db/database.js'
import type { DB, NewNotification, NotificationRow } from '../db/types.js'
import type { Position } from '../lib/cursor.js'

/**
 * Writes outbox rows. A row whose dedupe key exists already is skipped, so the same message can never
 * be queued twice; returns the ids of the rows actually written.
 */
export async function insertNotifications(db: Executor, rows: NewNotification[]): Promise<string[]> {
  if (rows.length === 0) return []
  const inserted = await db
    .insertInto('notifications')
    .values(rows)
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .execute()
  return inserted.map((r) => r.id)
}

/** PostgreSQL's lock_not_available: the row stayed locked longer than the lock timeout. */
export const LOCK_NOT_AVAILABLE = '55P03'

/**
 * Locks a notification for sending and returns it while it is still pending. It waits for another
 * holder of the row (a worker sending it, the outbox relay claiming it) rather than skipping it: a
 * skipped job would complete and leave the row pending with no job to send it. Waiting is bounded;
 * past the timeout the query fails with LOCK_NOT_AVAILABLE and the job is retried later.
 */
export async function lockPending(
  trx: Transaction<DB>,
  id: string,
  timeoutMs: number
): Promise<NotificationRow | undefined> {
  const row = await withLockWait(
    trx,
    timeoutMs,
    async () => await trx.selectFrom('notifications').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  )
  return row?.status === 'pending' ? row : undefined
}

export async function markSent(
  db: Executor,
  id: string,
  provider: string,
  providerMessageId: string | null
): Promise<void> {
  await db
    .updateTable('notifications')
    .set({
      status: 'sent',
      sent_at: sql`now()`,
      updated_at: sql`now()`,
      provider,
      provider_message_id: providerMessageId,
      attempts: sql`attempts + 1`,
      last_error: null
    })
    .where('id', '=', id)
    .execute()
}

export async function recordFailure(db: Executor, id: string, error: string, final: boolean): Promise<void> {
  await db
    .updateTable('notifications')
    .set({
      attempts: sql`attempts + 1`,
      last_error: error.slice(0, 1000),
      updated_at: sql`now()`,
      ...(final ? { status: 'failed' } : {})
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute()
}

/**
 * Claims pending rows for the relay. `reclaimed` marks a row the relay queued before (over two minutes
 * ago, or before `lostBefore`: when the queue backend lost its jobs) that is still pending: its first
 * job was lost, stalled or failed without recording it.
 */
export async function claimForRelay(
  db: Executor,
  graceMs: number,
  limit: number,
  lostBefore: string | null = null
): Promise<Array<{ id: string; kind: string; reclaimed: boolean }>> {
  const rows = await sql<{ id: string; kind: string; reclaimed: boolean }>`
    with claimed as (
      select id, enqueued_at from notifications
      where status = 'pending'
        and created_at < now() - make_interval(secs => ${graceMs / 1000})
        and (enqueued_at is null or enqueued_at < now() - interval '2 minutes' or enqueued_at < ${lostBefore}::timestamptz)
      order by enqueued_at nulls first, created_at
      limit ${limit}
      for update skip locked)
    update notifications n set enqueued_at = now()
    from claimed
    where n.id = claimed.id
    returning n.id, n.kind, claimed.enqueued_at is not null as reclaimed`.execute(db)
  return rows.rows
}

/** The database's clock, to the microsecond: the cut-off between rows queued before a moment and rows claimed after it. */
export async function databaseNow(db: Executor): Promise<string> {
  const { rows } = await sql<{ now: string }>`select now()::text as now`.execute(db)
  return rows[0].now
}

export interface NotificationFilter {
  status?: NotificationRow['status']
  kind?: string
  subject_id?: string
}

/** A listed message, with the young person (referral) and the mentor it concerns, for its access event. */
export type ListedNotification = NotificationRow & { about_referral_id: string | null; about_mentor_id: string | null }

/**
 * The young person (referral) or the mentor a message is about: itself when the message is about that
 * record, else the party of the match, evaluation or concern it is about.
 */
function about(party: 'referral' | 'mentor'): RawBuilder<string | null> {
  const col = sql.ref(`${party}_id`)
  return sql<string | null>`case notifications.subject_type
  when ${party} then notifications.subject_id
  when 'match' then (select m.${col} from matches m where m.id = notifications.subject_id)
  when 'evaluation' then (select m.${col} from evaluations e join matches m on m.id = e.match_id where e.id = notifications.subject_id)
  when 'safeguarding_concern' then (select c.${col} from safeguarding_concerns c where c.id = notifications.subject_id)
  end`
}

export async function listNotifications(
  db: Executor,
  org: string,
  filter: NotificationFilter,
  after: Position | null,
  limit: number
): Promise<ListedNotification[]> {
  let q = db
    .selectFrom('notifications')
    .selectAll()
    .select([about('referral').as('about_referral_id'), about('mentor').as('about_mentor_id')])
    .where('organisation_id', '=', org)
  if (filter.status !== undefined) q = q.where('status', '=', filter.status)
  if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind)
  if (filter.subject_id !== undefined) q = q.where('subject_id', '=', filter.subject_id)
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)))
  return await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
}

/**
 * Writes outbox rows in one statement of column arrays (a fixed nine parameters however many rows,
 * so PostgreSQL parses it once); a row whose dedupe key exists is skipped, as insertNotifications does. For
 * the large batches of the daily jobs.
 */
export async function insertNotificationsBulk(
  db: Executor,
  rows: Array<NewNotification & { subject_id: string }>
): Promise<string[]> {
  if (rows.length === 0) return []
  const col = <K extends keyof NewNotification>(k: K): unknown[] => rows.map((r) => r[k])
  const res = await sql<{ id: string }>`
    insert into notifications (organisation_id, dedupe_key, kind, recipient, subject, body, subject_type, subject_id)
    select * from unnest(${col('organisation_id')}::uuid[], ${col('dedupe_key')}::text[], ${col('kind')}::text[], ${col('recipient')}::text[],
                         ${col('subject')}::text[], ${col('body')}::text[], ${col('subject_type')}::text[], ${col('subject_id')}::uuid[])
    on conflict (dedupe_key) do nothing
    returning id`.execute(db)
  return res.rows.map((r) => r.id)
}

/**
 * Makes a failed message pending again for an operator, once: only a row that failed and was never
 * retried changes (so two operators asking together retry it once). Undefined when nothing changed.
 */
export async function markForRetry(
  db: Executor,
  org: string,
  id: string,
  by: string
): Promise<NotificationRow | undefined> {
  return await db
    .updateTable('notifications')
    .set({ status: 'pending', retried_at: sql`now()`, retried_by: by, enqueued_at: sql`now()`, updated_at: sql`now()` })
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .where('retried_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
}

export async function findNotification(db: Executor, org: string, id: string): Promise<NotificationRow | undefined> {
  return await db
    .selectFrom('notifications')
    .selectAll()
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .executeTakeFirst()
}
