import type { Transaction } from 'kysely'
import type { DB } from '../db/types.js'
import type { Executor } from '../db/database.js'
import type { Caller } from '../auth/roles.js'
import { primaryRole } from '../auth/roles.js'
import { AppError, notFound, type Reason } from '../errors/catalogue.js'
import * as repo from './safeguarding.repository.js'
import type { CONCERN_KINDS, OUTCOMES, RETENTION_CLASSES } from '../schemas/safeguarding-concerns.js'

type Trx = Transaction<DB>

export type ConcernKind = (typeof CONCERN_KINDS)[number]
export type Outcome = (typeof OUTCOMES)[number]
export type RetentionClass = (typeof RETENTION_CLASSES)[number]

const HOUR_MS = 3_600_000

export const isAllegation = (kind: string): boolean => kind !== 'about_young_person'

/**
 * A concern's deadlines, from when it was raised: acknowledgement within one hour of clock time when
 * someone is at risk now, else by 23:59 on the next working day; an allegation must also reach the
 * LADO by 23:59 on the next working day.
 */
export async function deadlinesFor(
  db: Executor,
  raisedAt: Date,
  immediateRisk: boolean,
  kind: string,
  timeZone: string
): Promise<{ acknowledgement: Date; lado: Date | null }> {
  const nextWorkingDay = await repo.nextWorkingDayEnd(db, raisedAt, timeZone)
  return {
    acknowledgement: immediateRisk ? new Date(raisedAt.getTime() + HOUR_MS) : nextWorkingDay,
    lado: isAllegation(kind) ? nextWorkingDay : null
  }
}

/**
 * How long the record is kept: an allegation substantiated or unsubstantiated for the longest (its
 * truth not ruled out), unfounded or malicious for the shorter allegation period; any other concern
 * as a safeguarding concern.
 */
export function retentionClassOf(kind: string, outcome: Outcome): RetentionClass {
  if (!isAllegation(kind)) return 'safeguarding_concern'
  return outcome === 'substantiated' || outcome === 'unsubstantiated'
    ? 'allegation_substantiated'
    : 'allegation_unfounded'
}

const actorOf = (caller: Caller): repo.Actor => ({
  id: caller.sub,
  role: primaryRole(caller, ['coordinator', 'admin'])
})

async function concernOrNotFound(
  trx: Trx,
  caller: Caller,
  id: string
): Promise<NonNullable<Awaited<ReturnType<typeof repo.lockConcern>>>> {
  const row = await repo.lockConcern(trx, caller.org as string, id)
  if (row === undefined) throw notFound('Concern')
  return row
}

export async function acknowledge(trx: Trx, caller: Caller, id: string): Promise<void> {
  const row = await concernOrNotFound(trx, caller, id)
  if (
    row.acknowledged_at !== null ||
    (await repo.acknowledge(trx, caller.org as string, id, actorOf(caller))) === undefined
  ) {
    throw new AppError('conflict', 'The concern is already acknowledged', {
      reasons: [
        {
          code: 'already_acknowledged',
          message: `Acknowledged at ${(row.acknowledged_at ?? new Date()).toISOString()}; the first acknowledgement stands`
        }
      ]
    })
  }
}

export async function referToLado(
  trx: Trx,
  caller: Caller,
  id: string,
  body: { referred_on: string; lado_reference: string },
  today: string,
  timeZone: string
): Promise<void> {
  const row = await concernOrNotFound(trx, caller, id)
  if (body.referred_on > today) {
    throw new AppError('validation_failed', 'body/referred_on must not be in the future', {
      errors: [{ path: 'body/referred_on', message: 'must not be in the future' }]
    })
  }
  const raisedOn = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit'
  }).format(row.raised_at)
  if (body.referred_on < raisedOn) {
    throw new AppError('validation_failed', 'body/referred_on is before the concern was raised', {
      errors: [{ path: 'body/referred_on', message: `must not be before ${raisedOn}, when the concern was raised` }]
    })
  }
  if (!isAllegation(row.kind)) {
    throw new AppError('rule_refused', 'Only an allegation about a mentor or a member of staff goes to the LADO', {
      reasons: [{ code: 'not_an_allegation', message: `The concern is ${row.kind.replace(/_/g, ' ')}` }]
    })
  }
  if (row.outcome_at !== null) throw closed()
  if (
    row.lado_recorded_at !== null ||
    (await repo.recordLadoReferral(trx, caller.org as string, id, actorOf(caller), body)) === undefined
  ) {
    throw new AppError('conflict', 'The LADO referral is already recorded', {
      reasons: [{ code: 'already_referred', message: 'The first LADO referral stands' }]
    })
  }
}

const closed = (): AppError =>
  new AppError('conflict', 'The concern is closed', {
    reasons: [{ code: 'concern_closed', message: 'An outcome is recorded; the concern is closed' }]
  })

/** Records the outcome: the concern closes and takes the retention class the outcome gives it. */
export async function recordOutcome(
  trx: Trx,
  caller: Caller,
  id: string,
  body: { outcome: Outcome; note: string }
): Promise<void> {
  const row = await concernOrNotFound(trx, caller, id)
  if (row.outcome_at !== null) throw closed()
  const reasons: Reason[] = []
  if (row.acknowledged_at === null) reasons.push({ code: 'not_acknowledged', message: 'Acknowledge the concern first' })
  if (isAllegation(row.kind) && row.lado_recorded_at === null)
    reasons.push({ code: 'lado_referral_missing', message: 'Record the LADO referral first' })
  if (reasons.length > 0) throw new AppError('invalid_transition', 'The concern cannot be closed yet', { reasons })
  await repo.recordOutcome(trx, caller.org as string, id, actorOf(caller), {
    ...body,
    retention_class: retentionClassOf(row.kind, body.outcome)
  })
}

/**
 * A mentor suspended by an allegation comes back only once every allegation about it has an outcome,
 * and by someone other than who recorded an outcome since its last reinstatement: two people decide.
 */
export async function checkReinstatement(trx: Trx, caller: Caller, mentorId: string): Promise<void> {
  const allegations = await repo.allegationsAbout(trx, caller.org as string, mentorId)
  if (allegations.length === 0) return
  const open = allegations.filter((a) => a.outcome_at === null)
  if (open.length > 0) {
    throw new AppError('invalid_transition', 'An allegation about the mentor has no outcome yet', {
      reasons: open.map((a) => ({
        code: 'allegation_outcome_missing',
        message: `Concern ${a.id}: record its outcome first`
      }))
    })
  }
  const since = await repo.lastReinstatement(trx, mentorId)
  const decidedByCaller = allegations.some(
    (a) => a.outcome_by === caller.sub && (since === null || (a.outcome_at as Date) > since)
  )
  if (decidedByCaller) {
    throw new AppError(
      'forbidden',
      'You recorded the outcome of the allegation: another admin or coordinator reinstates the mentor',
      {
        reasons: [
          { code: 'second_person_required', message: 'The one who recorded the outcome may not also reinstate' }
        ]
      }
    )
  }
}

/** An applicant or vetting mentor with an allegation open is not approved until it has an outcome. */
export async function checkApproval(trx: Trx, caller: Caller, mentorId: string): Promise<Reason[]> {
  const allegations = await repo.allegationsAbout(trx, caller.org as string, mentorId)
  return allegations
    .filter((a) => a.outcome_at === null)
    .map((a) => ({
      code: 'allegation_open',
      message: `Concern ${a.id}: an allegation about the mentor has no outcome yet`
    }))
}
