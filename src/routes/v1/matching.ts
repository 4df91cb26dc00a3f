import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { bearer, IdParams, problems } from '../../schemas/common.js'
import {
  CreatePlanSchema,
  PlanSchema,
  SuggestionsQuerySchema,
  SuggestionsSchema,
  type Plan
} from '../../schemas/matching.js'
import { todayIn } from '../../lib/dates.js'
import { createGeocoder } from '../../geo/geocoder.js'
import { explainMentor, suggestMentors, type MatchingDeps } from '../../matching/matching.service.js'
import { createPlan, getPlan } from '../../matching/plans.service.js'
import type { MatchingPlanRow } from '../../db/types.js'
import { audit, mentorRecord } from '../../audit/accessor.js'
import type { AccessedRecord, AuditAction } from '../../audit/audit.repository.js'

/** A plan names young people (each pair's and each unmatched referral) and mentors: one event for each it names. */
function planRecords(action: AuditAction, row: MatchingPlanRow): AccessedRecord[] {
  const named = (referralId: string, mentorId: string | null): AccessedRecord => ({
    action,
    resourceType: 'matching_plan',
    resourceId: row.id,
    referralId,
    mentorId
  })
  return [
    ...row.pairs.map((p) => named(p.referral_id, p.mentor_id)),
    ...row.unmatched.map((u) => named(u.referral_id, null))
  ]
}

function toPlan(row: MatchingPlanRow, matches: Map<string, { id: string; mentor_id: string }>): Plan {
  return {
    id: row.id,
    programme_id: row.programme_id,
    as_of: row.as_of,
    pairs: row.pairs.map((p) => {
      const made = matches.get(p.referral_id)
      const state = made === undefined ? 'proposed' : made.mentor_id === p.mentor_id ? 'accepted' : 'matched_otherwise'
      return { ...p, state, match_id: made?.id ?? null }
    }),
    unmatched: row.unmatched,
    summary: row.summary,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString()
  }
}

export default async function matchingRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const geocoder = createGeocoder(app.config.GEOCODER_URL)
  const today = (): string => todayIn(app.config.SCHEDULE_TZ)
  const deps = (log: MatchingDeps['log']): MatchingDeps => ({ db: app.db, geocoder, log })

  app.get(
    '/referrals/:id/mentor-suggestions',
    {
      config: { roles: ['coordinator'] },
      schema: {
        tags: ['matching'],
        operationId: 'suggestMentors',
        security: bearer,
        summary: 'Cleared mentors ranked for an accepted referral',
        description:
          "Hard rules first (cleared today for the programme, a free place, the programme's delivery mode, the young person's gender preference, independence or prior-involvement rules, maximum distance), then a weighted score whose parts are in `breakdown` and explained in `reasons`. With `mentor_id`, answers about that one mentor, listing in `excluded_by` every hard rule that keeps it out. 409 unless the referral is `accepted`.",
        params: IdParams,
        querystring: SuggestionsQuerySchema,
        response: { 200: SuggestionsSchema, ...problems(404, 409) }
      }
    },
    async (request) => {
      const org = request.caller.org as string
      const data =
        request.query.mentor_id !== undefined
          ? [await explainMentor(deps(request.log), org, request.params.id, request.query.mentor_id, today())]
          : await suggestMentors(deps(request.log), org, request.params.id, today(), request.query.limit)
      // The young person's profile was read to rank mentors: one event about the referral, one per mentor ranked.
      await audit(app.db, request, [
        { action: 'read', resourceType: 'suggestions', resourceId: request.params.id, referralId: request.params.id },
        ...data.map((d) => mentorRecord('read', 'suggestions', request.params.id, d.mentor_id))
      ])
      return { data }
    }
  )

  app.post(
    '/matching/plans',
    {
      config: { roles: ['coordinator'] },
      schema: {
        tags: ['matching'],
        operationId: 'createMatchingPlan',
        security: bearer,
        summary: 'Propose pairs for every waiting referral of a programme at once',
        description:
          'Maximises the total fit plus a priority for waiting time under mentor capacities, exactly (Hungarian method on capacity slots, with a dual certificate in `summary.optimal`). A plan is a proposal: it creates no match; accept a pair with `POST /v1/matches`.',
        body: CreatePlanSchema,
        response: { 201: PlanSchema, ...problems(422) }
      }
    },
    async (request, reply) => {
      const row = await createPlan(deps(request.log), request.caller, request.body.programme_id, today())
      await audit(app.db, request, planRecords('create', row))
      return await reply.code(201).header('location', `/v1/matching/plans/${row.id}`).send(toPlan(row, new Map()))
    }
  )

  app.get(
    '/matching/plans/:id',
    {
      config: { roles: ['coordinator'] },
      schema: {
        tags: ['matching'],
        operationId: 'getMatchingPlan',
        security: bearer,
        summary: "A plan, with each pair's state: proposed, accepted (matched) or matched otherwise",
        params: IdParams,
        response: { 200: PlanSchema, ...problems(404) }
      }
    },
    async (request) => {
      const { row, matches } = await getPlan(deps(request.log), request.caller.org as string, request.params.id)
      await audit(app.db, request, planRecords('read', row))
      return toPlan(row, matches)
    }
  )
}
