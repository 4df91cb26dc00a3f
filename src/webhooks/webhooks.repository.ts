import { sql, type Transaction } from 'kysely'
import { withLockWait, type Executor } from '../db/database.js'
import type { DB, WebhookDeliveryRow, WebhookEndpointRow } from '../db/types.js'
import type { Position } from '../lib/cursor.js'

/** The channel a committed change wakes the webhook relay on (NOTIFY is delivered at commit, never on rollback). */
export const WEBHOOK_CHANNEL = 'waymark_webhooks'

export async function insertEndpoint(
  db: Executor,
  values: {
    organisation_id: string
    url: string
    description: string | null
    events: string[]
    enabled: boolean
    secret: string
    created_by: string
  }
): Promise<WebhookEndpointRow> {
  return await db
    .insertInto('webhook_endpoints')
    .values({ ...values, disabled_reason: values.enabled ? null : 'requested' })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function findEndpoint(db: Executor, org: string, id: string): Promise<WebhookEndpointRow | undefined> {
  return await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .executeTakeFirst()
}

export async function lockEndpoint(db: Executor, org: string, id: string): Promise<WebhookEndpointRow | undefined> {
  return await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

export async function listEndpoints(
  db: Executor,
  org: string,
  after: Position | null,
  limit: number
): Promise<WebhookEndpointRow[]> {
  let q = db.selectFrom('webhook_endpoints').selectAll().where('organisation_id', '=', org)
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)))
  return await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
}

export type EndpointChange = Partial<
  Pick<
    WebhookEndpointRow,
    | 'url'
    | 'description'
    | 'events'
    | 'enabled'
    | 'disabled_reason'
    | 'secret'
    | 'previous_secret'
    | 'previous_secret_expires_at'
    | 'failing_since'
  >
>

export async function updateEndpoint(db: Executor, id: string, set: EndpointChange): Promise<WebhookEndpointRow> {
  return await db
    .updateTable('webhook_endpoints')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function deleteEndpoint(db: Executor, org: string, id: string): Promise<boolean> {
  const res = await db
    .deleteFrom('webhook_endpoints')
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .executeTakeFirst()
  return Number(res.numDeletedRows) > 0
}

/**
 * Records an event and one delivery for every enabled endpoint of the organisation subscribed to its
 * type, in the caller's transaction, and wakes the relay when that commits. Nothing is written when no
 * endpoint listens. Returns the number of deliveries.
 */
export async function recordEvent(db: Executor, org: string, type: string, body: string): Promise<number> {
  const res = await sql<{ deliveries: number }>`
    with subscribers as (
      select id from webhook_endpoints where organisation_id = ${org} and enabled and events @> array[${type}]::text[]),
    e as (
      insert into webhook_events (organisation_id, type, body)
      select ${org}, ${type}, ${body} where exists (select 1 from subscribers)
      returning id),
    d as (
      insert into webhook_deliveries (organisation_id, endpoint_id, event_id)
      select ${org}, s.id, e.id from subscribers s cross join e
      returning id),
    woken as (select pg_notify(${WEBHOOK_CHANNEL}, '') from e)
    select (select count(*) from d)::int as deliveries, (select count(*) from woken)::int as woken`.execute(db)
  return res.rows[0]?.deliveries ?? 0
}

/** An event for one endpoint alone (a ping), delivered whatever the endpoint subscribes to. */
export async function recordEventFor(
  db: Executor,
  org: string,
  endpointId: string,
  type: string,
  body: string
): Promise<DeliveryView> {
  const event = await db
    .insertInto('webhook_events')
    .values({ organisation_id: org, type, body })
    .returning('id')
    .executeTakeFirstOrThrow()
  const delivery = await db
    .insertInto('webhook_deliveries')
    .values({ organisation_id: org, endpoint_id: endpointId, event_id: event.id })
    .returning('id')
    .executeTakeFirstOrThrow()
  await wakeRelay(db)
  return (await findDelivery(db, endpointId, delivery.id)) as DeliveryView
}

export async function wakeRelay(db: Executor): Promise<void> {
  await sql`select pg_notify(${WEBHOOK_CHANNEL}, '')`.execute(db)
}

export type DeliveryView = WebhookDeliveryRow & { event_type: string }

export async function listDeliveries(
  db: Executor,
  endpointId: string,
  status: string | undefined,
  after: Position | null,
  limit: number
): Promise<DeliveryView[]> {
  let q = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .selectAll('d')
    .select('e.type as event_type')
    .where('d.endpoint_id', '=', endpointId)
  if (status !== undefined) q = q.where('d.status', '=', status)
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('d.created_at', 'd.id'), '<', eb.tuple(after.at, after.id)))
  return await q
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(limit + 1)
    .execute()
}

export async function findDelivery(db: Executor, endpointId: string, id: string): Promise<DeliveryView | undefined> {
  return await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .selectAll('d')
    .select('e.type as event_type')
    .where('d.endpoint_id', '=', endpointId)
    .where('d.id', '=', id)
    .executeTakeFirst()
}

/** Makes a delivery due now (a manual redelivery) and wakes the relay at commit. */
export async function redeliverNow(db: Executor, endpointId: string, id: string): Promise<DeliveryView | undefined> {
  const row = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: sql`now()`, enqueued_at: null, updated_at: sql`now()` })
    .where('endpoint_id', '=', endpointId)
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst()
  if (row === undefined) return undefined
  await wakeRelay(db)
  return await findDelivery(db, endpointId, id)
}

/**
 * Claims the deliveries due now for the queue: never queued for this attempt, or queued so long ago
 * (`reclaimMs`) that the job must have been lost. Only deliveries an endpoint still takes (enabled,
 * or a ping). `reclaimed` marks the second case, whose job needs a fresh id.
 */
export async function claimDue(
  db: Executor,
  reclaimMs: number,
  limit: number,
  lostBefore: string | null = null
): Promise<Array<{ id: string; attempt: number; reclaimed: boolean }>> {
  const rows = await sql<{ id: string; attempt: number; reclaimed: boolean }>`
    with due as (
      select d.id, d.enqueued_at from webhook_deliveries d
      join webhook_endpoints ep on ep.id = d.endpoint_id
      join webhook_events e on e.id = d.event_id
      where d.next_attempt_at <= now()
        and (d.enqueued_at is null or d.enqueued_at < now() - make_interval(secs => ${reclaimMs / 1000}) or d.enqueued_at < ${lostBefore}::timestamptz)
        and (ep.enabled or e.type = 'webhook.ping')
      order by d.next_attempt_at
      limit ${limit}
      for update of d skip locked)
    update webhook_deliveries d set enqueued_at = now()
    from due where d.id = due.id
    returning d.id, d.attempt + 1 as attempt, due.enqueued_at is not null as reclaimed`.execute(db)
  return rows.rows
}

export interface LockedDelivery {
  delivery: WebhookDeliveryRow
  endpoint: WebhookEndpointRow
  event: { id: string; type: string; body: string }
}

/** PostgreSQL's lock_not_available. */
export const LOCK_NOT_AVAILABLE = '55P03'

/**
 * Locks a delivery (and its endpoint's row, for the failure count) for one attempt, waiting at most
 * `timeoutMs` for another holder. Undefined when the delivery is gone (its endpoint was deleted).
 */
export async function lockDelivery(
  trx: Transaction<DB>,
  id: string,
  timeoutMs: number
): Promise<LockedDelivery | undefined> {
  const delivery = await withLockWait(
    trx,
    timeoutMs,
    async () =>
      await trx.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  )
  if (delivery === undefined) return undefined
  const endpoint = await trx
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('id', '=', delivery.endpoint_id)
    .executeTakeFirst()
  const event = await trx
    .selectFrom('webhook_events')
    .select(['id', 'type', 'body'])
    .where('id', '=', delivery.event_id)
    .executeTakeFirst()
  if (endpoint === undefined || event === undefined) return undefined
  return { delivery, endpoint, event }
}

export interface AttemptRecord {
  status: 'succeeded' | 'failed' | 'exhausted'
  response_status: number | null
  duration_ms: number | null
  last_error: string | null
  next_attempt_at: Date | null
}

export async function recordAttempt(db: Executor, id: string, r: AttemptRecord): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({
      ...r,
      attempt: sql`attempt + 1`,
      enqueued_at: null,
      updated_at: sql`now()`,
      ...(r.status === 'succeeded' ? { succeeded_at: sql`now()` } : {})
    })
    .where('id', '=', id)
    .execute()
}

/** A delivery its endpoint no longer takes (disabled): no attempt made, none due. */
export async function dropDelivery(db: Executor, id: string, reason: string): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', next_attempt_at: null, enqueued_at: null, last_error: reason, updated_at: sql`now()` })
    .where('id', '=', id)
    .execute()
}

/** The endpoint's failure streak after an attempt: cleared by a success, started by the first failure. */
export async function trackFailures(
  db: Executor,
  endpointId: string,
  succeeded: boolean
): Promise<{ failing_since: Date | null }> {
  return await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: succeeded ? null : sql`coalesce(failing_since, now())` })
    .where('id', '=', endpointId)
    .returning('failing_since')
    .executeTakeFirstOrThrow()
}
