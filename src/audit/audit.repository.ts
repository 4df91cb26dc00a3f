import { sql, type Compilable, type Kysely, type OperationNodeSource, type RawBuilder } from 'kysely'
import type { Executor } from '../db/database.js'
import type { AuditEventsTable, DB } from '../db/types.js'
import { prepare, type Prepared } from '../db/prepared.js'
import type { Position } from '../lib/cursor.js'

/**
 * Access events: one for every read or change of a young person's or a mentor's record.
 *
 * - A change writes its events with `recordAccess` inside the change's own transaction: they commit
 *   with it, or roll back with it.
 * - A read built at run time (`readWithEvents`), or a prepared one inside a transaction
 *   (`auditedRead`), writes its events in the read's own statement: the statement selects the rows
 *   and, in a data-modifying CTE, inserts one event per row returned, so no row leaves the database
 *   without its event committed and the read costs no extra round trip (see `withEvents` for how it
 *   commits).
 * - A prepared read alone (`auditedRead`: a GET by id, a page of referrals) reads without writing,
 *   and its events join those of the reads answered at the same moment in one multi-row insert
 *   (`ReadEventGroups`) that each of them awaits before it answers: nothing is answered before its
 *   events are committed, and the cost of a writing transaction is shared by the group rather than
 *   paid by every read, as is the contention of many inserts into the same index pages.
 */

export {
  AUDIT_ACTIONS,
  AUDIT_OUTCOMES,
  AUDIT_RESOURCE_TYPES,
  type AuditAction,
  type AuditOutcome,
  type AuditResourceType
} from '../schemas/audit-events.js'
import type { AuditAction, AuditOutcome, AuditResourceType } from '../schemas/audit-events.js'

/** Who is accessing, and why: a request's caller, or a job run. */
export interface Accessor {
  org: string
  actorId: string
  actorRole: string
  /** The `X-Access-Purpose` given, if any. */
  purpose: string | null
  /** The request id, or the job run id. */
  requestId: string
}

/** One record read or changed. */
export interface AccessedRecord {
  action: AuditAction
  resourceType: AuditResourceType
  resourceId: string
  /** The referral whose young person the record is about. */
  referralId?: string | null
  /** The mentor whose record it is or who is party to it. */
  mentorId?: string | null
  outcome?: AuditOutcome
}

/**
 * Writes one event per record, in one statement. In a transaction (a change) the events commit or
 * roll back with it. Alone (after a read, before anything is answered) it commits as a read's events
 * do (see `withEvents`).
 */
export async function recordAccess(db: Executor, who: Accessor, records: AccessedRecord[]): Promise<void> {
  if (records.length === 0) return
  const p = accessParams(who)
  const batches = new Map<string, EventBatch>()
  for (const r of records) {
    const outcome = r.outcome ?? 'success'
    const kind = `${r.action} ${r.resourceType} ${outcome}`
    let batch = batches.get(kind)
    if (batch === undefined) {
      batch = { who: p, action: r.action, resourceType: r.resourceType, outcome, records: [] }
      batches.set(kind, batch)
    }
    batch.records.push({ resourceId: r.resourceId, referralId: r.referralId ?? null, mentorId: r.mentorId ?? null })
  }
  await (inTransaction(db) ? insertEvents : insertEventsAlone)(db, columnsOf([...batches.values()]))
}

/**
 * What the events of a read say, as columns of the read's own result. `order` (a list's ORDER BY, in
 * those columns) with `p.audit_limit` writes events for the first rows only: a list fetches one row
 * more than its page to tell whether another follows, and that row is not returned.
 */
export interface ReadEvent {
  action?: AuditAction
  resourceType: AuditResourceType
  /** The column holding the record's id. */
  resourceId: string
  /** The column holding the referral id (the young person), if any. */
  referralId?: string
  /** The column holding the mentor id, if any. */
  mentorId?: string
  /** The ORDER BY of a list, in result columns (`cursor_at desc, id desc`); the page is `audit_limit` rows. */
  order?: string
  /** A page size fixed in the statement, in place of the `audit_limit` parameter. */
  pageSize?: number
}

/** The accessor as statement parameters (`audit_limit`: the rows of a list page that are returned). */
export interface AccessParams {
  audit_org: string
  audit_actor: string
  audit_role: string
  audit_purpose: string | null
  audit_request: string
  audit_limit?: number
}

export function accessParams(who: Accessor, pageLimit?: number): AccessParams {
  return {
    audit_org: who.org,
    audit_actor: who.actorId,
    audit_role: who.actorRole,
    audit_purpose: who.purpose,
    audit_request: who.requestId,
    audit_limit: pageLimit
  }
}

/** A read whose rows are `R`: a Kysely select, over whichever tables. */
type AnySelect<R> = Compilable<R> & OperationNodeSource

/**
 * `with r as (<read>), e as (insert one event per row of r) select * from r`: the events are written
 * whatever the caller does with the rows.
 *
 * Alone (not inside a transaction), the statement commits without waiting for its WAL to reach the
 * disk (`synchronous_commit` off for this statement's own transaction only, through a local
 * `set_config`). The event is committed before a row leaves PostgreSQL, so nothing this process
 * does, dying included, can lose it; only a crash of the PostgreSQL server itself within its WAL
 * writer's delay (wal_writer_delay, 200 ms by default, three times at most) could, as it could lose
 * any asynchronous commit. Waiting for the disk made every read pay a WAL flush: half the
 * throughput of a GET by id here (`npm run bench:audit`, table (c)). Inside a transaction, nothing
 * is changed: the events commit as the transaction does.
 */
function withEvents<R>(
  read: AnySelect<R> | OperationNodeSource,
  event: ReadEvent,
  p: { [K in keyof AccessParams]: unknown },
  alone: boolean
): RawBuilder<R> {
  const col = (c: string | undefined): RawBuilder<unknown> => (c === undefined ? sql`null` : sql`r.${sql.ref(c)}`)
  const rows =
    event.order === undefined
      ? sql`r`
      : sql`(select * from r order by ${sql.raw(event.order)} limit ${event.pageSize === undefined ? sql`${p.audit_limit}::int` : sql.lit(event.pageSize)}) r`
  const order = event.order === undefined ? sql`` : sql` order by ${sql.raw(event.order)}`
  const commit = alone ? sql`c as (select set_config('synchronous_commit', 'off', true)), ` : sql``
  const withCommit = alone ? sql` cross join c` : sql``
  return sql<R>`with ${commit}r as (${read}), e as (
    insert into audit_events (organisation_id, actor_id, actor_role, action, resource_type, resource_id, referral_id, mentor_id, purpose, request_id)
    select ${p.audit_org}::uuid, ${p.audit_actor}::text, ${p.audit_role}::text, ${sql.lit(event.action ?? 'read')}, ${sql.lit(event.resourceType)},
      ${col(event.resourceId)}, ${col(event.referralId)}, ${col(event.mentorId)}, ${p.audit_purpose}::text, ${p.audit_request}::text
    from ${rows}${withCommit}
  ) select * from r${order}`
}

const inTransaction = (db: object): boolean => (db as { isTransaction?: boolean }).isTransaction === true

/**
 * Events to insert that share who is accessing, the action, the resource type and the outcome: a
 * read's, or those of one kind among a change's.
 */
interface EventBatch {
  who: AccessParams
  action: AuditAction
  resourceType: AuditResourceType
  outcome: AuditOutcome
  records: Array<{ resourceId: string; referralId: string | null; mentorId: string | null }>
}

/**
 * Batches as columns for one multi-row insert: what a batch shares once a batch, and an event's own
 * ids once an event with the batch it belongs to (1-based). An event whose record is its referral's
 * own, or (with no referral) its mentor's own, has no resource id of its own (null): the insert
 * takes it from those. So a page of fifty sends its caller once and few values an event, rather
 * than eleven, each escaped into an array literal by the client and parsed again by the server.
 */
interface EventColumns {
  orgs: string[]
  actors: string[]
  roles: string[]
  purposes: Array<string | null>
  requests: string[]
  actions: string[]
  types: string[]
  outcomes: string[]
  resources: Array<string | null>
  referrals: Array<string | null>
  mentors: Array<string | null>
  batches: number[]
}

function columnsOf(batches: EventBatch[]): EventColumns {
  const c: EventColumns = {
    orgs: [],
    actors: [],
    roles: [],
    purposes: [],
    requests: [],
    actions: [],
    types: [],
    outcomes: [],
    resources: [],
    referrals: [],
    mentors: [],
    batches: []
  }
  for (const [i, b] of batches.entries()) {
    c.orgs.push(b.who.audit_org)
    c.actors.push(b.who.audit_actor)
    c.roles.push(b.who.audit_role)
    c.purposes.push(b.who.audit_purpose)
    c.requests.push(b.who.audit_request)
    c.actions.push(b.action)
    c.types.push(b.resourceType)
    c.outcomes.push(b.outcome)
    for (const r of b.records) {
      const own = r.resourceId === (r.referralId ?? r.mentorId)
      c.resources.push(own ? null : r.resourceId)
      c.referrals.push(r.referralId)
      c.mentors.push(r.mentorId)
      c.batches.push(i + 1)
    }
  }
  return c
}

/**
 * The insert of events, prepared. `alone`: outside a transaction, committed as a read's events are
 * (`synchronous_commit` off for its own transaction, see `withEvents`); else as the transaction commits.
 */
const insertEventsAs = (alone: boolean): Prepared<EventColumns, never> =>
  prepare<EventColumns, never>(alone ? 'audit_events_insert_alone' : 'audit_events_insert', (db, p) => {
    const raw = sql`${alone ? sql`with c as (select set_config('synchronous_commit', 'off', true)) ` : sql``}insert into audit_events
      (organisation_id, actor_id, actor_role, purpose, request_id, action, resource_type, resource_id, referral_id, mentor_id, outcome)
    select b.org, b.actor, b.role, b.purpose, b.request, b.action, b.type, coalesce(e.resource, e.referral, e.mentor),
      e.referral, e.mentor, b.outcome
    from unnest(${p.orgs}::uuid[], ${p.actors}::text[], ${p.roles}::text[], ${p.purposes}::text[], ${p.requests}::text[],
      ${p.actions}::text[], ${p.types}::text[], ${p.outcomes}::text[]) with ordinality
        as b(org, actor, role, purpose, request, action, type, outcome, n)
    join unnest(${p.resources}::uuid[], ${p.referrals}::uuid[], ${p.mentors}::uuid[], ${p.batches}::int[])
        as e(resource, referral, mentor, batch) on e.batch = b.n${alone ? sql` cross join c` : sql``}`
    return { compile: () => raw.compile(db) } satisfies Compilable<never>
  })
const insertEvents = insertEventsAs(false)
const insertEventsAlone = insertEventsAs(true)

/** What a prepared statement runs on: the pool, or a transaction. */
type Runner = Parameters<typeof insertEventsAlone>[0]

/** Groups in flight at once; the reads answered meanwhile wait for the next. */
const GROUPS_IN_FLIGHT = 2
/** Events in one insert at most. */
const GROUP_EVENTS = 500

interface Waiting {
  batch: EventBatch
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Group commit of read events. Each read, once it has its rows, hands their events here and waits:
 * the events of the reads that finished at the same moment (the same turn of the event loop, or
 * while an earlier group was being written) go in one insert, committed as a read's events are
 * (`synchronous_commit` off for that transaction, see `withEvents`), and every read of the group
 * answers only after it committed. So nothing is answered without its event, and a failed insert
 * fails every read of its group (the caller answers the error, not the record). Under load a read
 * shares the fixed cost of a writing transaction (about 30 µs, `npm run bench:audit`) with the others,
 * and one backend inserts the group's events rather than many contending for the same index pages.
 */
class ReadEventGroups {
  private waiting: Waiting[] = []
  private inFlight = 0
  private scheduled = false

  constructor(private readonly db: Runner) {}

  async record(batch: EventBatch): Promise<void> {
    if (batch.records.length === 0) return
    await new Promise<void>((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.inFlight >= GROUPS_IN_FLIGHT) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      void this.flush()
    })
  }

  private async flush(): Promise<void> {
    if (this.waiting.length === 0 || this.inFlight >= GROUPS_IN_FLIGHT) return
    let take = 0
    let events = 0
    while (
      take < this.waiting.length &&
      (take === 0 || events + this.waiting[take].batch.records.length <= GROUP_EVENTS)
    ) {
      events += this.waiting[take].batch.records.length
      take++
    }
    const group = this.waiting.splice(0, take)
    this.inFlight++
    this.schedule()
    try {
      await insertEventsAlone(this.db, columnsOf(group.map((w) => w.batch)))
      for (const w of group) w.resolve()
    } catch (err) {
      for (const w of group) w.reject(err)
    } finally {
      this.inFlight--
      this.schedule()
    }
  }
}

/** The groups of one database handle (the pool the API reads through). */
const groups = new WeakMap<object, ReadEventGroups>()
function groupsOf(db: Runner): ReadEventGroups {
  let g = groups.get(db)
  if (g === undefined) {
    g = new ReadEventGroups(db)
    groups.set(db, g)
  }
  return g
}

const idIn = (row: object, column: string | undefined): string | null => {
  if (column === undefined) return null
  const v: unknown = (row as Record<string, unknown>)[column]
  return typeof v === 'string' ? v : null
}

/**
 * A prepared read that writes one access event per row it returns (see `prepare`): `build` makes
 * the read; its parameters are those of the read plus `accessParams(...)`. Alone, it reads without
 * writing and has its events group-committed before it returns (`ReadEventGroups`): one a record,
 * or for a list page (`event.order`, the read's own ORDER BY) one for each of its first
 * `event.pageSize ?? audit_limit` rows. Inside a transaction it writes them in its own statement
 * (`withEvents`), to commit with the transaction.
 */
export function auditedRead<P extends object, R extends object>(
  name: string,
  event: ReadEvent,
  build: (db: Kysely<DB>, p: P) => AnySelect<R>
): Prepared<P & AccessParams, R> {
  const inTx = prepare<P & AccessParams, R>(`${name}_tx`, (db, p) => {
    const raw = withEvents(build(db, p), event, p, false)
    return { compile: () => raw.compile(db) } satisfies Compilable<R>
  })
  const read = prepare<P & AccessParams, R>(`${name}_read`, build)
  return async (db, params) => {
    if (inTransaction(db)) return await inTx(db, params)
    const rows = await read(db, params)
    // A list page's rows are in its order: the page is its first rows, not the one that tells whether another follows.
    const shown = event.order === undefined ? rows : rows.slice(0, event.pageSize ?? params.audit_limit ?? rows.length)
    await groupsOf(db).record({
      who: params,
      action: event.action ?? 'read',
      resourceType: event.resourceType,
      outcome: 'success',
      records: shown.map((row) => ({
        resourceId: idIn(row, event.resourceId) ?? '',
        referralId: idIn(row, event.referralId),
        mentorId: idIn(row, event.mentorId)
      }))
    })
    return rows
  }
}

/**
 * A change (an UPDATE or INSERT ... RETURNING the columns `event` names) that writes one event per
 * row it changed in the same statement, committed durably: for changes made outside a transaction,
 * such as a job's batch update.
 */
export async function changeWithEvents<R>(
  db: Executor,
  who: Accessor,
  event: ReadEvent & { action: AuditAction },
  change: OperationNodeSource
): Promise<R[]> {
  return (await withEvents<R>(change, event, accessParams(who), false).execute(db)).rows
}

/** A read built at run time (filters vary) that writes its access events in the same statement. */
export async function readWithEvents<R>(
  db: Executor,
  who: Accessor,
  event: ReadEvent,
  read: AnySelect<R>,
  pageLimit?: number
): Promise<R[]> {
  return (await withEvents(read, event, accessParams(who, pageLimit), !inTransaction(db)).execute(db)).rows
}

export type AuditEventRow = Omit<AuditEventsTable, 'id' | 'at' | 'outcome' | 'organisation_id'> & {
  id: string
  at: Date
  outcome: AuditOutcome
}

export interface AuditFilter {
  actor_id?: string
  resource_type?: AuditResourceType
  resource_id?: string
  referral_id?: string
  /** Any of these referrals (a young person's referrals linked as one). */
  referral_ids?: string[]
  mentor_id?: string
  action?: AuditAction
  from?: string
  to?: string
}

const EVENT_COLUMNS = [
  'id',
  'at',
  'actor_id',
  'actor_role',
  'action',
  'resource_type',
  'resource_id',
  'referral_id',
  'mentor_id',
  'purpose',
  'outcome',
  'request_id'
] as const

/**
 * One page (plus one row) of an organisation's events, newest first; `from`/`to` are instants (`to`
 * excluded). Keyset on (at, id): each filter has an index led by it (migration 0141).
 */
export async function listEvents(
  db: Executor,
  org: string,
  filter: AuditFilter,
  after: Position | null,
  limit: number
): Promise<Array<AuditEventRow & { cursor_at: string }>> {
  let q = db
    .selectFrom('audit_events')
    .select(EVENT_COLUMNS)
    .select(sql<string>`to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'))
    .where('organisation_id', '=', org)
  if (filter.actor_id !== undefined) q = q.where('actor_id', '=', filter.actor_id)
  if (filter.resource_type !== undefined) q = q.where('resource_type', '=', filter.resource_type)
  if (filter.resource_id !== undefined) {
    // A record's events are found by the index that holds them: its referral's or its mentor's when
    // the record is that referral or mentor, else the resource index, which holds only the others
    // (migration 0141). The three arms together are every event with this resource_id.
    const id = filter.resource_id
    q = q.where((eb) =>
      eb.or([
        eb.and([eb('referral_id', '=', id), eb('resource_id', '=', id)]),
        eb.and([eb('mentor_id', '=', id), eb('resource_id', '=', id)]),
        eb.and([
          eb('resource_id', '=', id),
          sql<boolean>`resource_id is distinct from referral_id`,
          sql<boolean>`resource_id is distinct from mentor_id`
        ])
      ])
    )
  }
  if (filter.referral_id !== undefined) q = q.where('referral_id', '=', filter.referral_id)
  if (filter.referral_ids !== undefined) q = q.where('referral_id', 'in', filter.referral_ids)
  if (filter.mentor_id !== undefined) q = q.where('mentor_id', '=', filter.mentor_id)
  if (filter.action !== undefined) q = q.where('action', '=', filter.action)
  if (filter.from !== undefined) q = q.where('at', '>=', sql<Date>`${filter.from}::timestamptz`)
  if (filter.to !== undefined) q = q.where('at', '<', sql<Date>`${filter.to}::timestamptz`)
  if (after !== null)
    q = q.where((eb) => eb(eb.refTuple('at', 'id'), '<', eb.tuple(sql<Date>`${after.exact}::timestamptz`, after.id)))
  return await q
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
}

/** The young person (referral) and mentor of each match: what an event about a match's record names. */
export async function matchParties(
  db: Executor,
  org: string,
  matchIds: string[]
): Promise<Map<string, { referral_id: string; mentor_id: string }>> {
  if (matchIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('matches')
    .select(['id', 'referral_id', 'mentor_id'])
    .where('organisation_id', '=', org)
    .where('id', 'in', [...new Set(matchIds)])
    .execute()
  return new Map(rows.map((r) => [r.id, r]))
}

/**
 * What this transaction changed of a mentor's records so far: whether it changed the mentor's row,
 * and the matches of the mentor it changed (a suspension pauses them). A row changed by this
 * transaction carries its transaction id as `xmin`; the events of a change that reaches beyond its
 * own record (a suspension, an allegation) are written from this, in the same transaction.
 */
export async function changedHere(
  db: Executor,
  org: string,
  mentorId: string
): Promise<{ mentor: boolean; matches: Array<{ id: string; referral_id: string; mentor_id: string }> }> {
  const mine = sql<boolean>`xmin::text = (pg_current_xact_id()::text::bigint % 4294967296)::text`
  const mentor = await db
    .selectFrom('mentors')
    .select('id')
    .where('organisation_id', '=', org)
    .where('id', '=', mentorId)
    .where(mine)
    .executeTakeFirst()
  const matches = await db
    .selectFrom('matches')
    .select(['id', 'referral_id', 'mentor_id'])
    .where('organisation_id', '=', org)
    .where('mentor_id', '=', mentorId)
    .where(mine)
    .execute()
  return { mentor: mentor !== undefined, matches }
}
