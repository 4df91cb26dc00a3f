import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import type { NewReferral, ReferralRow, ReferralsTable, ReferralUpdate } from '../db/types.js'
import { prepare, type Prepared } from '../db/prepared.js'
import {
  accessParams,
  auditedRead,
  type AccessParams,
  type Accessor,
  type ReadEvent
} from '../audit/audit.repository.js'
import type { Position } from '../lib/cursor.js'
import {
  CASEWORK_FIELDS,
  OPEN_STATUSES,
  ReferralSchema,
  type Referral,
  type ReferralStatus
} from '../schemas/referrals.js'
import { caseworkOf } from './links.repository.js'
import { jsonOf } from '../db/json.js'

/** Who may see which referrals: the organisation, narrowed to the creator for a referrer. */
export interface ReferralScope {
  org: string
  createdBy?: string
}

export async function nextReference(db: Executor, organisationId: string, code: string, year: number): Promise<string> {
  const row = await db
    .insertInto('reference_counters')
    .values({ organisation_id: organisationId, year, last_value: 1 })
    .onConflict((oc) =>
      oc.columns(['organisation_id', 'year']).doUpdateSet({ last_value: sql`reference_counters.last_value + 1` })
    )
    .returning('last_value')
    .executeTakeFirstOrThrow()
  return `${code}-${year}-${String(row.last_value).padStart(5, '0')}`
}

export async function insertReferral(db: Executor, row: NewReferral): Promise<ReferralRow> {
  return await db.insertInto('referrals').values(row).returning(REFERRAL_COLUMNS).executeTakeFirstOrThrow()
}

/**
 * Every column, named, but the stored rendering: a prepared `select *` would fail once a migration
 * adds a column while the statement is cached on a connection. The check below fails to compile when
 * one is missing here.
 */
export const REFERRAL_COLUMNS = [
  'id',
  'organisation_id',
  'programme_id',
  'reference',
  'status',
  'created_by',
  'young_person',
  'referrer',
  'needs',
  'risks',
  'preferences',
  'consent',
  'other_services',
  'screening',
  'referrer_key',
  'education_setting_key',
  'team_key',
  'funded_place',
  'information_request',
  'decline',
  'withdrawal',
  'accepted_at',
  'matched_at',
  'closed_at',
  'match_summary',
  'young_person_id',
  'name_key',
  'has_possible_duplicates',
  'anonymised_at',
  'version',
  'created_at',
  'updated_at'
] as const satisfies ReadonlyArray<keyof ReferralsTable>
const _everyColumn: Exclude<keyof ReferralsTable, (typeof REFERRAL_COLUMNS)[number] | 'rendering'> extends never
  ? true
  : never = true
void _everyColumn

/**
 * Where a field of the `Referral` response schema comes from when its column has another name.
 * Every other field is the column of its own name; the check below fails to compile when a field of
 * the schema has neither.
 */
const RENDER_SOURCES = { match: 'match_summary', submitted_at: 'created_at' } as const satisfies Partial<
  Record<keyof Referral, keyof ReferralsTable>
>
type Sourced = Exclude<keyof Referral, keyof typeof RENDER_SOURCES | (typeof CASEWORK_FIELDS)[number]>
const _everyField: Exclude<Sourced, keyof ReferralsTable> extends never ? true : never = true
void _everyField

/** Instants go out as `Date.prototype.toISOString` writes them (UTC, milliseconds); every other column as stored. */
const INSTANT_SQL = (column: string): string => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
const isInstantSchema = (schema: unknown): boolean => (schema as { format?: string }).format === 'date-time'

/**
 * The `Referral` response schema, rendered by PostgreSQL (a referral and list pages), so a page of
 * fifty is never parsed into objects only to be serialized again: the jsonb columns go out as
 * stored. It is rendered when the referral is written, by a trigger that stores it in `rendering`
 * (migration 0143), and a read sends that text as it is. Stored documents hold only what the request
 * schemas allowed (they reject unknown properties). The select list is derived from the schema
 * itself, field by field in its order; a test fails when the trigger's list differs from it, so
 * adding a field is one edit to the schema plus a migration (its column, and the trigger's list).
 * A test holds what reads send equal, field for field, to `toReferral` serialized through the
 * response schema, in every state (`test/routes/referrals-rendering.test.ts`).
 */
export function referralRenderColumns(prefix = 'referrals'): string[] {
  const casework = new Set<string>(CASEWORK_FIELDS)
  return Object.entries(ReferralSchema.properties)
    .filter(([field]) => !casework.has(field))
    .map(([field, schema]) => {
      const column = `${prefix}.${(RENDER_SOURCES as Record<string, string>)[field] ?? field}`
      return isInstantSchema(schema) ? `${INSTANT_SQL(column)} as ${field}` : `${column} as ${field}`
    })
}

/**
 * The rendering, as the trigger of migration 0143 writes it on every write of a column it shows
 * (`rendering`), or made now for a row not written since that migration. `prefix`: the row's name.
 */
export function referralRenderingSql(prefix: string): string {
  return `(select row_to_json(v)::text from (select ${referralRenderColumns(prefix).join(', ')}) v)`
}

const REFERRAL_JSON = sql<string>`coalesce(referrals.rendering, ${sql.raw(referralRenderingSql('referrals'))})`

// Reads on every request are prepared statements, one per shape of scope and filter.
const findInOrg = prepare<{ id: string; org: string }, ReferralRow>('referral_find', (db, p) =>
  db.selectFrom('referrals').select(REFERRAL_COLUMNS).where('id', '=', p.id).where('organisation_id', '=', p.org)
)
const findOwn = prepare<{ id: string; org: string; createdBy: string }, ReferralRow>('referral_find_own', (db, p) =>
  db
    .selectFrom('referrals')
    .select(REFERRAL_COLUMNS)
    .where('id', '=', p.id)
    .where('organisation_id', '=', p.org)
    .where('created_by', '=', p.createdBy)
)

export async function findReferral(db: Executor, scope: ReferralScope, id: string): Promise<ReferralRow | undefined> {
  const rows =
    scope.createdBy === undefined
      ? await findInOrg(db, { id, org: scope.org })
      : await findOwn(db, { id, org: scope.org, createdBy: scope.createdBy })
  return rows[0]
}

/** A referral as the API shows it, rendered by PostgreSQL (see REFERRAL_JSON), with what its ETag needs. */
export interface RenderedReferral {
  id: string
  version: number
  body: string
}

// A read of a referral has its access event written before it returns (auditedRead in audit.repository.ts).
const READ_EVENT: ReadEvent = { resourceType: 'referral', resourceId: 'id', referralId: 'id' }
const renderInOrg = auditedRead<{ id: string; org: string }, RenderedReferral>('referral_render', READ_EVENT, (db, p) =>
  db
    .selectFrom('referrals')
    .select(['id', 'version'])
    .select(REFERRAL_JSON.as('body'))
    .where('id', '=', p.id)
    .where('organisation_id', '=', p.org)
)
const renderOwn = auditedRead<{ id: string; org: string; createdBy: string }, RenderedReferral>(
  'referral_render_own',
  READ_EVENT,
  (db, p) =>
    db
      .selectFrom('referrals')
      .select(['id', 'version'])
      .select(REFERRAL_JSON.as('body'))
      .where('id', '=', p.id)
      .where('organisation_id', '=', p.org)
      .where('created_by', '=', p.createdBy)
)

const renderCasework = auditedRead<
  { id: string; org: string },
  RenderedReferral & { has_possible_duplicates: boolean; young_person_id: string | null }
>('referral_render_casework', READ_EVENT, (db, p) =>
  db
    .selectFrom('referrals')
    .select(['id', 'version', 'has_possible_duplicates', 'young_person_id'])
    .select(REFERRAL_JSON.as('body'))
    .where('id', '=', p.id)
    .where('organisation_id', '=', p.org)
)

const NO_CASEWORK = ',"possible_duplicates":[],"linked_referral_ids":[]}'

/**
 * The referral as the API shows it, its access event committed before it returns.
 * `casework`: with the fields only coordinators and admins see (CASEWORK_FIELDS, last in the schema),
 * looked up only for a referral whose row says it has possible duplicates or links, so the read of
 * any other costs what it did.
 */
export async function renderReferral(
  db: Executor,
  who: Accessor,
  scope: ReferralScope,
  id: string,
  casework = false
): Promise<RenderedReferral | undefined> {
  if (scope.createdBy !== undefined)
    return (await renderOwn(db, { id, org: scope.org, createdBy: scope.createdBy, ...accessParams(who) }))[0]
  if (!casework) return (await renderInOrg(db, { id, org: scope.org, ...accessParams(who) }))[0]
  const row = (await renderCasework(db, { id, org: scope.org, ...accessParams(who) }))[0]
  if (row === undefined) return undefined
  let tail = NO_CASEWORK
  if (row.has_possible_duplicates || row.young_person_id !== null) {
    const c = await caseworkOf(db, row.id)
    tail = `,"possible_duplicates":${JSON.stringify(c.possible_duplicates)},"linked_referral_ids":${JSON.stringify(c.linked_referral_ids)}}`
  }
  return { id: row.id, version: row.version, body: `${row.body.slice(0, -1)}${tail}` }
}

/** The referral, locked for a state change. */
export async function lockReferral(db: Executor, scope: ReferralScope, id: string): Promise<ReferralRow | undefined> {
  let q = db
    .selectFrom('referrals')
    .select(REFERRAL_COLUMNS)
    .where('id', '=', id)
    .where('organisation_id', '=', scope.org)
  if (scope.createdBy !== undefined) q = q.where('created_by', '=', scope.createdBy)
  return await q.forUpdate().executeTakeFirst()
}

export interface ReferralFilter {
  status?: ReferralStatus
  programme_id?: string
  submitted_from?: string
  submitted_to?: string
}

interface ListParams extends ReferralFilter, AccessParams {
  org: string
  createdBy?: string
  at?: string
  after?: string
  limit: number
  tz: string
}

/**
 * A listed referral: its API representation already rendered as JSON by PostgreSQL, and its
 * created_at to the microsecond for the next page's cursor.
 */
export interface ListedReferral {
  id: string
  cursor_at: string
  body: string
}

const LIST_SHAPE = ['createdBy', 'status', 'programme_id', 'submitted_from', 'submitted_to', 'after'] as const
const listStatements = new Map<string, Prepared<ListParams, ListedReferral>>()
/** One access event per referral of the page (not for the extra row that tells whether another follows). */
const LIST_EVENT: ReadEvent = { ...READ_EVENT, order: 'cursor_at desc, id desc' }
/**
 * Page sizes compiled into the statement itself. With the LIMIT a parameter, PostgreSQL cannot tell
 * how many rows a page takes, costs a generic plan for a tenth of the table, and so plans the
 * statement again at every execution; with it a constant, the statement is planned once per
 * connection (about a fifth of a page's database time, `npm run bench:audit`). Other sizes keep the
 * parameter: a bounded number of statements per connection whatever sizes clients ask for.
 */
const FIXED_PAGE_SIZES = new Set([10, 20, 25, 50, 100, 200])

/** The list statement for one combination of scope, filters, cursor and page size, compiled on first use. */
function listStatement(shape: number, pageSize: number): Prepared<ListParams, ListedReferral> {
  const fixed = FIXED_PAGE_SIZES.has(pageSize) ? pageSize : undefined
  const key = `${shape}${fixed === undefined ? '' : `_${fixed}`}`
  let statement = listStatements.get(key)
  if (statement !== undefined) return statement
  const has = (k: (typeof LIST_SHAPE)[number]): boolean => (shape & (1 << LIST_SHAPE.indexOf(k))) !== 0
  const event: ReadEvent = fixed === undefined ? LIST_EVENT : { ...LIST_EVENT, pageSize: fixed }
  statement = auditedRead<ListParams, ListedReferral>(`referral_list_${key}`, event, (db, p) => {
    let q = db
      .selectFrom('referrals')
      .select('id')
      .select(sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'))
      .select(REFERRAL_JSON.as('body'))
      .where('organisation_id', '=', p.org)
    if (has('createdBy')) q = q.where('created_by', '=', p.createdBy as string)
    if (has('status')) q = q.where('status', '=', p.status as ReferralStatus)
    if (has('programme_id')) q = q.where('programme_id', '=', p.programme_id as string)
    // Submitted dates are whole days in the scheme's time zone, `to` included.
    if (has('submitted_from'))
      q = q.where('created_at', '>=', sql<Date>`(${p.submitted_from}::date)::timestamp at time zone ${p.tz}`)
    if (has('submitted_to'))
      q = q.where('created_at', '<', sql<Date>`(${p.submitted_to}::date + 1)::timestamp at time zone ${p.tz}`)
    // Keyset: the index on (organisation_id, created_at desc, id desc) walks straight to the page.
    if (has('after'))
      q = q.where((eb) =>
        eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(sql<Date>`${p.at}::timestamptz`, p.after as string))
      )
    const ordered = q.orderBy('created_at', 'desc').orderBy('id', 'desc')
    return fixed === undefined ? ordered.limit(p.limit) : ordered.limit(sql.lit(fixed + 1))
  })
  listStatements.set(key, statement)
  return statement
}

/**
 * One page (plus one row, to tell whether another follows) of referrals the scope may see, newest
 * first, an access event for each referral of the page committed before it returns (auditedRead).
 */
export async function listReferrals(
  db: Executor,
  who: Accessor,
  scope: ReferralScope,
  filter: ReferralFilter,
  after: Position | null,
  limit: number,
  timeZone = 'Europe/London'
): Promise<ListedReferral[]> {
  const params: ListParams = {
    ...filter,
    ...accessParams(who, limit),
    org: scope.org,
    createdBy: scope.createdBy,
    at: after?.exact,
    after: after?.id,
    limit: limit + 1,
    tz: timeZone
  }
  let shape = 0
  for (let i = 0; i < LIST_SHAPE.length; i++) {
    if (params[LIST_SHAPE[i]] !== undefined) shape |= 1 << i
  }
  return await listStatement(shape, limit)(db, params)
}

export async function updateReferral(db: Executor, id: string, set: ReferralUpdate): Promise<ReferralRow> {
  return await db
    .updateTable('referrals')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returning(REFERRAL_COLUMNS)
    .executeTakeFirstOrThrow()
}

export interface QuotaKeys {
  referrer_key: string
  education_setting_key: string | null
  team_key: string | null
}

/** Open, unfunded referrals sharing each quota key in a programme, optionally leaving one out. */
export async function countOpen(
  db: Executor,
  programmeId: string,
  keys: QuotaKeys,
  excludeId?: string
): Promise<{ referrer: number; setting: number; team: number }> {
  const open = sql.join(OPEN_STATUSES.map((s) => sql.lit(s)))
  const exclude = excludeId !== undefined ? sql`and id <> ${excludeId}` : sql``
  const row = await sql<{ referrer: number; setting: number; team: number }>`
    select
      (select count(*) from referrals where programme_id = ${programmeId} and referrer_key = ${keys.referrer_key}
         and status in (${open}) and not funded_place ${exclude})::int as referrer,
      (select count(*) from referrals where programme_id = ${programmeId} and education_setting_key = ${keys.education_setting_key}
         and status in (${open}) and not funded_place ${exclude})::int as setting,
      (select count(*) from referrals where programme_id = ${programmeId} and team_key = ${keys.team_key}
         and status in (${open}) and not funded_place ${exclude})::int as team`.execute(db)
  return row.rows[0]
}

/** Serialises quota decisions on the same keys: transaction-scoped advisory locks, in a fixed order. */
export async function lockQuotaKeys(db: Executor, programmeId: string, keys: QuotaKeys): Promise<void> {
  const names = [
    `r:${keys.referrer_key}`,
    keys.education_setting_key !== null ? `s:${keys.education_setting_key}` : null,
    keys.team_key !== null ? `t:${keys.team_key}` : null
  ]
    .filter((k): k is string => k !== null)
    .map((k) => `${programmeId}:${k}`)
    .sort()
  for (const name of names) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${name}, 0))`.execute(db)
  }
}

export interface HistoryInput {
  referral_id: string
  from_status: ReferralStatus | null
  to_status: ReferralStatus
  actor_id: string
  actor_role: string
  reason?: string | null
}

export async function insertHistory(db: Executor, entry: HistoryInput): Promise<void> {
  await db
    .insertInto('referral_status_history')
    .values({ ...entry, reason: entry.reason ?? null })
    .execute()
}

export async function listHistory(
  db: Executor,
  referralId: string
): Promise<
  Array<{
    from_status: ReferralStatus | null
    to_status: ReferralStatus
    actor_id: string
    actor_role: string
    reason: string | null
    at: Date
  }>
> {
  return await db
    .selectFrom('referral_status_history')
    .select(['from_status', 'to_status', 'actor_id', 'actor_role', 'reason', 'created_at as at'])
    .where('referral_id', '=', referralId)
    .orderBy('id')
    .execute()
}

/** How many times a referral has moved to a status (each round of questions is one). */
export async function countTransitionsTo(db: Executor, referralId: string, status: ReferralStatus): Promise<number> {
  const r = await db
    .selectFrom('referral_status_history')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('referral_id', '=', referralId)
    .where('to_status', '=', status)
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

/** The referrer's view of the match, kept current without a new referral version. */
export async function updateMatchSummary(
  db: Executor,
  referralId: string,
  summary: NonNullable<ReferralRow['match_summary']>
): Promise<void> {
  await db
    .updateTable('referrals')
    .set({ match_summary: jsonOf(summary) })
    .where('id', '=', referralId)
    .execute()
}
