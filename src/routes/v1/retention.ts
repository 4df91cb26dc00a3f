import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Static } from 'typebox'
import { bearer, IdParams, problems } from '../../schemas/common.js'
import {
  LegalHoldSchema,
  PlaceLegalHoldSchema,
  ReleaseLegalHoldSchema,
  RetentionScheduleSchema,
  UpdateRetentionScheduleSchema
} from '../../schemas/data-protection.js'
import { findSchedule, mergeSchedule, type RetentionSchedule } from '../../data-protection/retention.repository.js'
import { placeHold, releaseHold, targetExists, type HoldTarget } from '../../data-protection/holds.repository.js'
import { IDEMPOTENCY_KEY_HOURS } from '../../data-protection/retention-classes.js'
import { AppError, notFound } from '../../errors/catalogue.js'
import type { LegalHoldRow } from '../../db/types.js'
import { isoOrNull, wire, type Wire } from '../../lib/wire.js'

type RetentionScheduleView = Static<typeof RetentionScheduleSchema>

const toSchedule = (s: RetentionSchedule): RetentionScheduleView => ({
  classes: s.classes,
  idempotency_key_hours: IDEMPOTENCY_KEY_HOURS,
  updated_at: isoOrNull(s.updated_at)
})
const toHold = (h: LegalHoldRow): Wire<LegalHoldRow> => wire(h)

/** The organisation's retention schedule, and legal holds on a young person's record or a mentor's. */
export default async function retentionRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.get(
    '/organisation/retention',
    {
      config: { roles: ['admin', 'coordinator', 'referrer', 'mentor', 'integration'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'getRetentionSchedule',
        security: bearer,
        summary: 'The retention schedule: months each class of record is kept',
        response: { 200: RetentionScheduleSchema, ...problems() }
      }
    },
    async (request) => toSchedule(await findSchedule(app.db, request.caller.org as string))
  )

  app.patch(
    '/organisation/retention',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'updateRetentionSchedule',
        security: bearer,
        summary: 'Change the classes named; the others keep their values',
        body: UpdateRetentionScheduleSchema,
        response: { 200: RetentionScheduleSchema, ...problems() }
      }
    },
    async (request) =>
      toSchedule(
        await mergeSchedule(
          app.db,
          request.caller.org as string,
          request.body.classes as Record<string, number>,
          request.caller.sub
        )
      )
  )

  for (const kind of ['referrals', 'mentors'] as const) {
    const what = kind === 'referrals' ? 'Referral' : 'Mentor'
    const target = (id: string): HoldTarget => (kind === 'referrals' ? { referral_id: id } : { mentor_id: id })
    const exists = async (org: string, id: string): Promise<boolean> => await targetExists(app.db, org, target(id))

    app.post(
      `/${kind}/:id/legal-hold`,
      {
        config: { roles: ['admin'] },
        schema: {
          tags: ['data-protection'],
          operationId: kind === 'referrals' ? 'placeReferralLegalHold' : 'placeMentorLegalHold',
          security: bearer,
          summary: `Place a legal hold on a ${what.toLowerCase()}: neither retention nor erasure will anonymise it`,
          params: IdParams,
          body: PlaceLegalHoldSchema,
          response: { 201: LegalHoldSchema, ...problems(404, 409) }
        }
      },
      async (request, reply) => {
        const org = request.caller.org as string
        if (!(await exists(org, request.params.id))) throw notFound(what)
        const hold = await placeHold(app.db, org, target(request.params.id), request.body.reason, request.caller.sub)
        if (hold === undefined) {
          throw new AppError('conflict', `The ${what.toLowerCase()} is already on legal hold`, {
            reasons: [{ code: 'already_held', message: 'Release the hold in place before placing another' }]
          })
        }
        return await reply.code(201).send(toHold(hold))
      }
    )

    app.delete(
      `/${kind}/:id/legal-hold`,
      {
        config: { roles: ['admin'] },
        // The body is optional: a release may give its reason.
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {}
        },
        schema: {
          tags: ['data-protection'],
          operationId: kind === 'referrals' ? 'releaseReferralLegalHold' : 'releaseMentorLegalHold',
          security: bearer,
          summary: `Release the legal hold on a ${what.toLowerCase()}`,
          params: IdParams,
          body: ReleaseLegalHoldSchema,
          response: { 200: LegalHoldSchema, ...problems(404) }
        }
      },
      async (request) => {
        const org = request.caller.org as string
        if (!(await exists(org, request.params.id))) throw notFound(what)
        const hold = await releaseHold(
          app.db,
          org,
          target(request.params.id),
          request.body.reason ?? null,
          request.caller.sub
        )
        if (hold === undefined) throw notFound('Legal hold')
        return toHold(hold)
      }
    )
  }
}
