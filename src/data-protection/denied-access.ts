import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Database } from '../db/database.js'
import { hasRole, NO_MENTOR, primaryRole } from '../auth/roles.js'
import { purposeOf } from '../audit/accessor.js'
import { recordAccess, type AccessedRecord, type AuditResourceType } from '../audit/audit.repository.js'
import { locate, refusedLately } from './denied-access.repository.js'

/**
 * `outcome: denied` events: an authenticated caller asked for one young person's or mentor's record
 * by id and was refused (403, or the 404 that hides a record from a caller who may not see it: one of
 * another organisation, another referrer's, or any record once a mentor is suspended). The event goes
 * to the organisation that holds the record, so its access log shows the attempt; the answer the
 * caller gets is the same whether or not the record exists.
 *
 * What keeps this from filling the table: only records that exist are recorded (guessed ids write
 * nothing); a caller refused the same record again within DENIED_REPEAT_MINUTES writes no second
 * event (the first stands for the attempts); and a caller is rate limited as everywhere.
 */
export const DENIED_REPEAT_MINUTES = 60

/** Routes about one record, by the path that names it with `:id` (and no other parameter). */
const SUBJECT_ROUTES: Array<{ prefix: string; type: 'referral' | 'mentor' | 'match' }> = [
  { prefix: '/v1/referrals/:id', type: 'referral' },
  { prefix: '/v1/mentors/:id', type: 'mentor' },
  { prefix: '/v1/matches/:id', type: 'match' }
]

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function askedFor(request: FastifyRequest): { type: 'referral' | 'mentor' | 'match'; id: string } | null {
  const url = request.routeOptions.url
  if (url === undefined) return null
  const route = SUBJECT_ROUTES.find((r) => url === r.prefix || url.startsWith(`${r.prefix}/`))
  if (route === undefined || url.slice(route.prefix.length).includes(':')) return null
  const id = (request.params as { id?: unknown } | undefined)?.id
  return typeof id === 'string' && UUID.test(id) ? { type: route.type, id } : null
}

/** A 404 is a refusal only when the record exists but this caller may not see it. */
function hiddenFrom(request: FastifyRequest, org: string): boolean {
  const caller = request.caller
  if (caller.org !== org || caller.mentorId === NO_MENTOR) return true
  // Referrers and mentors see only their own: a 404 for a record of their organisation is one not theirs.
  return !hasRole(caller, 'coordinator', 'admin', 'integration')
}

/** An onSend hook of the /v1 subtree: records a refusal of a named record before the refusal is sent. */
export function deniedAccessHook(db: Database) {
  return async function recordDenied(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const status = reply.statusCode
    if ((status !== 403 && status !== 404) || request.caller === null || request.caller === undefined) return payload
    const asked = askedFor(request)
    if (asked === null) return payload
    try {
      const found = await locate(db, asked.type, asked.id)
      if (found === undefined || (status === 404 && !hiddenFrom(request, found.org))) return payload
      const caller = request.caller
      if (await refusedLately(db, found.org, asked.id, caller.sub, DENIED_REPEAT_MINUTES)) return payload
      let purpose: string | null = null
      try {
        purpose = purposeOf(request)
      } catch {
        purpose = null
      }
      const event: AccessedRecord = {
        action: request.method === 'GET' ? 'read' : 'update',
        resourceType: asked.type satisfies AuditResourceType,
        resourceId: asked.id,
        referralId: found.referral_id,
        mentorId: found.mentor_id,
        outcome: 'denied'
      }
      await recordAccess(
        db,
        {
          org: found.org,
          actorId: caller.sub,
          actorRole: primaryRole(caller, request.routeOptions.config.roles),
          purpose,
          requestId: request.id
        },
        [event]
      )
    } catch (err) {
      // The refusal stands whatever happens here; the failure to record it is for the operators.
      request.log.error({ err }, 'could not record a denied access event')
    }
    return payload
  }
}
