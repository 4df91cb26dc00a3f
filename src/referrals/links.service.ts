import type { Transaction } from 'kysely'
import { randomUUID } from 'node:crypto'
import type { DB, ReferralRow } from '../db/types.js'
import type { Executor } from '../db/database.js'
import type { Caller } from '../auth/roles.js'
import { hasRole, primaryRole } from '../auth/roles.js'
import { AppError, notFound, unknownReference } from '../errors/catalogue.js'
import { duplicateBasis, nameKey, type DuplicateBasis, type PersonKey } from './duplicates.js'
import * as repo from './links.repository.js'

type Trx = Transaction<DB>

/** Possible duplicates and links are casework: coordinators and admins see them, referrers and mentors never. */
export const seesCasework = (caller: Caller): boolean => hasRole(caller, 'coordinator', 'admin')

/** The casework fields for a caller entitled to them, else nothing. */
export async function caseworkFor(db: Executor, caller: Caller, id: string): Promise<repo.Casework | undefined> {
  return seesCasework(caller) ? await repo.caseworkOf(db, id) : undefined
}

/** The name key stored with a referral, for finding it again under a swapped or re-spaced name. */
export const nameKeyOf = (youngPerson: unknown): string => nameKey(youngPerson as PersonKey)

/**
 * Records which earlier referrals of the organisation may be of the same young person as this one,
 * at intake and whenever the young person's details change. Only flags: nothing is merged.
 */
export async function recordDuplicates(trx: Trx, row: ReferralRow, fresh: boolean): Promise<void> {
  const person: PersonKey = row.young_person
  const candidates = await repo.duplicateCandidates(
    trx,
    row.organisation_id,
    row.id,
    person.date_of_birth,
    nameKey(person)
  )
  const found: Array<{ id: string; basis: DuplicateBasis }> = []
  for (const c of candidates) {
    const basis = duplicateBasis(person, c)
    if (basis !== null) found.push({ id: c.id, basis })
  }
  await repo.replaceDuplicates(trx, row.organisation_id, row.id, found, fresh)
}

/**
 * Links two referrals as one young person: both (and any referral either was already linked with)
 * share one young-person id from then on. Linking referrals already linked changes nothing.
 */
export async function linkReferrals(trx: Trx, caller: Caller, id: string, otherId: string): Promise<void> {
  const org = caller.org as string
  const rows = await repo.lockPair(trx, org, [id, otherId])
  const self = rows.find((r) => r.id === id)
  if (self === undefined) throw notFound('Referral')
  if (otherId === id) {
    throw new AppError('rule_refused', 'A referral cannot be linked with itself', {
      reasons: [
        {
          code: 'link_to_itself',
          message: 'referral_id names this referral: link it with another referral of the same young person'
        }
      ]
    })
  }
  const other = rows.find((r) => r.id === otherId)
  if (other === undefined) throw unknownReference('body/referral_id', 'is not a referral of your organisation')
  if (self.young_person_id !== null && self.young_person_id === other.young_person_id) return
  const youngPersonId = self.young_person_id ?? other.young_person_id ?? randomUUID()
  const groups = [self.young_person_id, other.young_person_id].filter((g): g is string => g !== null)
  await repo.joinYoungPerson(trx, org, youngPersonId, [self.id, other.id], groups)
  await repo.insertLink(trx, {
    organisation_id: org,
    referral_id: self.id,
    linked_referral_id: other.id,
    young_person_id: youngPersonId,
    actor_id: caller.sub,
    actor_role: primaryRole(caller, ['coordinator', 'admin'])
  })
}

/** Matching treats linked referrals as one young person: one open match at a time among them. */
export async function assertNoLinkedMatch(db: Executor, referralId: string): Promise<void> {
  const open = await repo.openMatchOfLinked(db, referralId)
  if (open !== undefined) {
    throw new AppError(
      'conflict',
      `The young person already has an open match through the linked referral ${open.reference}`,
      {
        reasons: [
          {
            code: 'young_person_already_matched',
            message: `Referral ${open.reference}, linked with this one as the same young person, has an open match: close it first`
          }
        ]
      }
    )
  }
}
