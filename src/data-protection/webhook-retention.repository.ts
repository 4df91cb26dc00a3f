import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import { cutoff, type RetentionWindow } from './retention.repository.js'

/**
 * Deletes one batch of an organisation's webhook events past the `notification` class's months, with
 * their deliveries and the delivery log (status, timings, and the error text a receiver's answer left,
 * which may hold anything). A webhook event carries ids, a reference and statuses, never a person's
 * details, so nothing of it is worth keeping anonymised: it goes whole. An event with a delivery
 * still pending or due to be tried again is left to a later run. Returns what went.
 */
export async function deleteDueWebhookEvents(
  db: Executor,
  w: RetentionWindow,
  limit: number
): Promise<{ events: number; deliveries: number }> {
  const r = await sql<{ events: number; deliveries: number }>`
    with due as (
      select e.id from webhook_events e
      where e.organisation_id = ${w.org} and e.created_at < ${cutoff(w.asOf, w.classes.notification, w.tz)}
        and not exists (select 1 from webhook_deliveries d
          where d.event_id = e.id and (d.status = 'pending' or d.next_attempt_at is not null))
      order by e.created_at, e.id limit ${limit} for update skip locked
    ), deliveries as (
      delete from webhook_deliveries where event_id in (select id from due) returning 1
    ), events as (
      delete from webhook_events where id in (select id from due) returning 1
    )
    select (select count(*) from events)::int as events, (select count(*) from deliveries)::int as deliveries`.execute(
    db
  )
  return r.rows[0]
}
