import type { SafeguardingConcernRow } from '../db/types.js'
import { sql } from 'kysely'
import type { Executor } from '../db/database.js'

export type Deadline = 'acknowledgement' | 'lado_referral'

/** The region whose bank holidays make working days (see migrations/0050_create_bank_holidays.ts). */
export const HOLIDAY_REGION = 'england-and-wales'

/**
 * 23:59 on the first working day after the local day (in `timeZone`) of `from`: not a Saturday, a Sunday
 * or a bank holiday. Computed by PostgreSQL, which knows the zone's daylight saving rules.
 */
export async function nextWorkingDayEnd(db: Executor, from: Date, timeZone: string): Promise<Date> {
  const { rows } = await sql<{ due: Date }>`
    select (d::date + time '23:59') at time zone ${timeZone} as due
    from generate_series((${from}::timestamptz at time zone ${timeZone})::date + 1,
                         (${from}::timestamptz at time zone ${timeZone})::date + 31, interval '1 day') as d
    where extract(isodow from d) < 6
      and not exists (select 1 from bank_holidays h where h.region = ${HOLIDAY_REGION} and h.date = d::date)
    order by d limit 1`.execute(db)
  return rows[0].due
}

export interface DueConcern {
  id: string
  organisation_id: string
  reference: string
  category: string
  kind: string
  due_at: Date
}

const DUE = {
  acknowledgement: { due: 'acknowledgement_due_at', met: 'acknowledged_at', escalated: 'acknowledgement_escalated_at' },
  lado_referral: { due: 'lado_due_at', met: 'lado_recorded_at', escalated: 'lado_escalated_at' }
} as const

/**
 * Open concerns whose deadline passed before `asOf` unmet and not yet escalated, locked for this run:
 * a run at the same time skips them rather than escalating them twice.
 */
export async function lockMissedDeadlines(
  db: Executor,
  deadline: Deadline,
  org: string | null,
  asOf: Date,
  limit: number
): Promise<DueConcern[]> {
  const c = DUE[deadline]
  let q = db
    .selectFrom('safeguarding_concerns as c')
    .innerJoin('referrals as r', 'r.id', 'c.referral_id')
    .select([
      'c.id',
      'c.organisation_id',
      'r.reference',
      'c.category',
      'c.kind',
      sql<Date>`c.${sql.ref(c.due)}`.as('due_at')
    ])
    .where(sql.ref(`c.${c.due}`), '<', asOf)
    .where(sql.ref(`c.${c.met}`), 'is', null)
    .where(sql.ref(`c.${c.escalated}`), 'is', null)
    .where('c.outcome_at', 'is', null)
  if (org !== null) q = q.where('c.organisation_id', '=', org)
  return await q.orderBy('c.id').limit(limit).forUpdate('c').skipLocked().execute()
}

export async function markEscalated(db: Executor, deadline: Deadline, ids: string[]): Promise<void> {
  if (ids.length === 0) return
  const column = DUE[deadline].escalated
  await db
    .updateTable('safeguarding_concerns')
    .set({ [column]: sql`now()` })
    .where('id', 'in', ids)
    .where(column, 'is', null)
    .execute()
}

/** Who a missed deadline goes to: every active admin and every active safeguarding lead, once each. */
export async function escalationRecipients(db: Executor, org: string): Promise<Array<{ id: string; email: string }>> {
  return await db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('organisation_id', '=', org)
    .where('active', '=', true)
    .where((eb) => eb.or([eb('safeguarding_lead', '=', true), sql<boolean>`'admin' = any(roles)`]))
    .orderBy('email')
    .execute()
}

/** Active safeguarding leads: told of a new concern with the coordinators. */
export async function safeguardingLeads(db: Executor, org: string): Promise<Array<{ id: string; email: string }>> {
  return await db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('organisation_id', '=', org)
    .where('active', '=', true)
    .where('safeguarding_lead', '=', true)
    .orderBy('email')
    .execute()
}

export interface Actor {
  id: string
  role: string
}

/** Records the first acknowledgement; undefined when the concern is not there or already acknowledged. */
export async function acknowledge(
  db: Executor,
  org: string,
  id: string,
  actor: Actor
): Promise<{ id: string } | undefined> {
  return await db
    .updateTable('safeguarding_concerns')
    .set({
      acknowledged_at: sql`date_trunc('milliseconds', now())`,
      acknowledged_by: actor.id,
      acknowledged_role: actor.role,
      updated_at: sql`now()`
    })
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .where('acknowledged_at', 'is', null)
    .returning('id')
    .executeTakeFirst()
}

export async function recordLadoReferral(
  db: Executor,
  org: string,
  id: string,
  actor: Actor,
  body: { referred_on: string; lado_reference: string }
): Promise<{ id: string } | undefined> {
  return await db
    .updateTable('safeguarding_concerns')
    .set({
      lado_referred_on: body.referred_on,
      lado_reference: body.lado_reference,
      lado_recorded_by: actor.id,
      lado_recorded_at: sql`date_trunc('milliseconds', now())`,
      updated_at: sql`now()`
    })
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .where('lado_recorded_at', 'is', null)
    .returning('id')
    .executeTakeFirst()
}

export async function recordOutcome(
  db: Executor,
  org: string,
  id: string,
  actor: Actor,
  body: {
    outcome: NonNullable<SafeguardingConcernRow['outcome']>
    note: string
    retention_class: NonNullable<SafeguardingConcernRow['retention_class']>
  }
): Promise<{ id: string } | undefined> {
  return await db
    .updateTable('safeguarding_concerns')
    .set({
      outcome: body.outcome,
      outcome_note: body.note,
      retention_class: body.retention_class,
      outcome_by: actor.id,
      outcome_at: sql`date_trunc('milliseconds', now())`,
      updated_at: sql`now()`
    })
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .where('outcome_at', 'is', null)
    .returning('id')
    .executeTakeFirst()
}

/** The concern, locked, with what its workflow rules need. */
export async function lockConcern(db: Executor, org: string, id: string) {
  return await db
    .selectFrom('safeguarding_concerns')
    .select(['id', 'kind', 'raised_at', 'acknowledged_at', 'lado_recorded_at', 'outcome_at', 'mentor_id'])
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

/** Allegations about a mentor: whether each has an outcome, and who recorded it when. */
export async function allegationsAbout(
  db: Executor,
  org: string,
  mentorId: string
): Promise<Array<{ id: string; outcome_at: Date | null; outcome_by: string | null }>> {
  return await db
    .selectFrom('safeguarding_concerns')
    .select(['id', 'outcome_at', 'outcome_by'])
    .where('organisation_id', '=', org)
    .where('mentor_id', '=', mentorId)
    .where('kind', '=', 'allegation_about_mentor')
    .execute()
}

/** When the mentor was last reinstated, if ever. */
export async function lastReinstatement(db: Executor, mentorId: string): Promise<Date | null> {
  const row = await db
    .selectFrom('mentor_status_history')
    .select(sql<Date>`max(created_at)`.as('at'))
    .where('mentor_id', '=', mentorId)
    .where('from_status', '=', 'suspended')
    .where('to_status', '=', 'approved')
    .executeTakeFirst()
  return row?.at ?? null
}
