import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { bearer, IdParams, problems } from '../../schemas/common.js'
import { AccessLogQuerySchema, AuditEventPageSchema, ListAuditEventsQuerySchema } from '../../schemas/audit-events.js'
import { listEvents, type AuditFilter } from '../../audit/audit.repository.js'
import { findReferral } from '../../referrals/referrals.repository.js'
import { caseworkOf } from '../../referrals/links.repository.js'
import { mentorStatus } from '../../mentors/mentors.repository.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'
import { AppError, notFound } from '../../errors/catalogue.js'
import type { Static } from 'typebox'
import { wire } from '../../lib/wire.js'

type Listed = Awaited<ReturnType<typeof listEvents>>
type Page = Static<typeof AuditEventPageSchema>

function checkRange(filter: AuditFilter): void {
  if (filter.from !== undefined && filter.to !== undefined && Date.parse(filter.from) > Date.parse(filter.to)) {
    throw new AppError('validation_failed', 'from is after to', {
      errors: [{ path: 'query/from', message: 'must not be after `to`' }]
    })
  }
}

const page = (rows: Listed, limit: number): Page => {
  const p = pageOf(rows, limit)
  return { data: p.rows.map(({ cursor_at: _c, ...e }) => wire(e)), next_cursor: p.next }
}

export default async function auditEventRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const logPage = async (
    org: string,
    query: AuditFilter & { limit: number; cursor?: string },
    narrow: AuditFilter
  ): Promise<Page> => {
    const { limit, cursor, ...filter } = query
    checkRange(filter)
    return page(await listEvents(app.db, org, { ...filter, ...narrow }, decodeCursor(cursor), limit), limit)
  }

  app.get(
    '/audit-events',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        security: bearer,
        summary: 'Every access event of the organisation, newest first',
        description:
          "One event for every read or change of a young person's or a mentor's record (a list page writes one per row). Append-only.",
        querystring: ListAuditEventsQuerySchema,
        response: { 200: AuditEventPageSchema, ...problems() }
      }
    },
    async (request) => {
      return await logPage(request.caller.org as string, request.query, {})
    }
  )

  app.get(
    '/referrals/:id/access-log',
    {
      config: { roles: ['coordinator', 'admin'] },
      schema: {
        tags: ['audit'],
        operationId: 'getReferralAccessLog',
        security: bearer,
        summary: "Who has seen this young person's records",
        description:
          'Every access event about the young person: the referral and every referral linked with it as the same young person, their matches, sessions, goals, evaluations, concerns and exports, newest first.',
        params: IdParams,
        querystring: AccessLogQuerySchema,
        response: { 200: AuditEventPageSchema, ...problems(404) }
      }
    },
    async (request) => {
      const org = request.caller.org as string
      if ((await findReferral(app.db, { org }, request.params.id)) === undefined) throw notFound('Referral')
      const linked = (await caseworkOf(app.db, request.params.id)).linked_referral_ids
      return await logPage(
        org,
        request.query,
        linked.length === 0 ? { referral_id: request.params.id } : { referral_ids: [request.params.id, ...linked] }
      )
    }
  )

  app.get(
    '/mentors/:id/access-log',
    {
      config: { roles: ['coordinator', 'admin'] },
      schema: {
        tags: ['audit'],
        operationId: 'getMentorAccessLog',
        security: bearer,
        summary: "Who has seen this mentor's records",
        description:
          'Every access event about the mentor: the profile, vetting records (DBS metadata included), compliance and matches, newest first.',
        params: IdParams,
        querystring: AccessLogQuerySchema,
        response: { 200: AuditEventPageSchema, ...problems(404) }
      }
    },
    async (request) => {
      const org = request.caller.org as string
      if ((await mentorStatus(app.db, org, request.params.id)) === undefined) throw notFound('Mentor')
      return await logPage(org, request.query, { mentor_id: request.params.id })
    }
  )
}
