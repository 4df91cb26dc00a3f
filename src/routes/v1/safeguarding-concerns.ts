import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { bearer, IdempotencyHeaders, IdParams, problems } from '../../schemas/common.js'
import {
  type Concern,
  AcknowledgeConcernSchema,
  ConcernOutcomeInputSchema,
  ConcernPageSchema,
  ConcernSchema,
  CreateConcernActionSchema,
  CreateConcernSchema,
  LadoReferralSchema,
  ListConcernsQuerySchema
} from '../../schemas/safeguarding-concerns.js'
import { todayIn } from '../../lib/dates.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'
import { runIdempotent } from '../../lib/idempotency.js'
import { notFound } from '../../errors/catalogue.js'
import * as concerns from '../../matches/concerns.service.js'
import * as workflow from '../../safeguarding/workflow.service.js'
import type { Caller } from '../../auth/roles.js'
import type { Database, Executor } from '../../db/database.js'
import type { FastifyRequest } from 'fastify'
import { audit, auditMentorChanges, matchRecords } from '../../audit/accessor.js'
import type { AuditAction } from '../../audit/audit.repository.js'

const RAISERS = ['coordinator', 'admin', 'mentor', 'referrer'] as const
const LEADS = ['coordinator', 'admin'] as const

/** The concern as the caller may see it, after a change. */
/** The access event of a concern read or changed by this request (in the change's transaction for a change). */
async function auditConcern(db: Executor, request: FastifyRequest, action: AuditAction, id: string): Promise<void> {
  const row = await concerns.findConcern(db, request.caller, id)
  if (row === undefined) throw notFound('Concern')
  await audit(db, request, await matchRecords(db, request, action, 'concern', [row]))
}

async function concernView(db: Database, caller: Caller, id: string): Promise<Concern> {
  const row = await concerns.findConcern(db, caller, id)
  if (row === undefined) throw notFound('Concern')
  return concerns.toConcern(row, (await concerns.actionsOf(db, [row.id])).get(row.id) ?? [], caller)
}

export default async function concernRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const today = (): string => todayIn(app.config.SCHEDULE_TZ)

  app.post(
    '/safeguarding-concerns',
    {
      config: { roles: RAISERS },
      schema: {
        tags: ['safeguarding'],
        operationId: 'raiseConcern',
        security: bearer,
        summary: 'Raise a safeguarding concern; every coordinator and safeguarding lead is alerted at once',
        description:
          'A mentor about one of its matches (`match_id`), a referrer about one of its referrals, a coordinator or admin about any. The alert (reference and category only) goes out ahead of all other mail. Deadlines run from `raised_at`: acknowledgement within 1 hour for an immediate risk, else by 23:59 on the next working day; an allegation must reach the LADO by 23:59 on the next working day, and an allegation about a mentor suspends the mentor at once (access ends, active matches pause). A concern is a record: what was reported is never edited or deleted. Honours `Idempotency-Key`.',
        headers: IdempotencyHeaders,
        body: CreateConcernSchema,
        response: { 201: ConcernSchema, ...problems(422) }
      }
    },
    async (request, reply) => {
      const created: string[] = []
      const result = await runIdempotent<Concern>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/safeguarding-concerns',
        request.body,
        async (trx) => {
          const { row, reference, notificationIds } = await concerns.raiseConcern(trx, request.caller, request.body, {
            today: today(),
            timeZone: app.config.SCHEDULE_TZ
          })
          await audit(trx, request, await matchRecords(trx, request, 'create', 'concern', [row]))
          // An allegation suspends its mentor and pauses the mentor's matches.
          if (row.mentor_id !== null) await auditMentorChanges(trx, request, row.mentor_id, 'status_change')
          created.push(...notificationIds)
          return { status: 201, body: concerns.toConcern({ ...row, reference }, [], request.caller) }
        }
      )
      await app.dispatch.notifications(created, request.log, { urgent: true })
      return await reply.code(201).header('location', `/v1/safeguarding-concerns/${result.body.id}`).send(result.body)
    }
  )

  app.get(
    '/safeguarding-concerns',
    {
      config: { roles: RAISERS },
      schema: {
        tags: ['safeguarding'],
        operationId: 'listConcerns',
        security: bearer,
        summary: 'Concerns, newest first: coordinators and admins see all, a mentor or referrer those it raised',
        description:
          "The safeguarding lead's queue: `status=unacknowledged` (open, not acknowledged), `overdue` (open, with a deadline passed and its step not done), `open`, `closed`.",
        querystring: ListConcernsQuerySchema,
        response: { 200: ConcernPageSchema, ...problems() }
      }
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query
      const rows = await concerns.listConcerns(app.db, request.caller, filter, decodeCursor(cursor), limit)
      const page = pageOf(rows, limit)
      const actions = await concerns.actionsOf(
        app.db,
        page.rows.map((r) => r.id)
      )
      await audit(app.db, request, await matchRecords(app.db, request, 'read', 'concern', page.rows))
      return {
        data: page.rows.map((r) => concerns.toConcern(r, actions.get(r.id) ?? [], request.caller)),
        next_cursor: page.next
      }
    }
  )

  app.get(
    '/safeguarding-concerns/:id',
    {
      config: { roles: RAISERS },
      schema: {
        tags: ['safeguarding'],
        operationId: 'getConcern',
        security: bearer,
        summary: 'A concern with its follow-up actions',
        params: IdParams,
        response: { 200: ConcernSchema, ...problems(404) }
      }
    },
    async (request) => {
      const view = await concernView(app.db, request.caller, request.params.id)
      await audit(
        app.db,
        request,
        await matchRecords(app.db, request, 'read', 'concern', [
          { id: view.id, match_id: view.match_id, referral_id: view.referral_id, mentor_id: view.mentor_id }
        ])
      )
      return view
    }
  )

  app.post(
    '/safeguarding-concerns/:id/actions',
    {
      config: { roles: ['coordinator'] },
      schema: {
        tags: ['safeguarding'],
        operationId: 'addConcernAction',
        security: bearer,
        summary: 'Append a follow-up action to a concern (the concern itself never changes)',
        params: IdParams,
        body: CreateConcernActionSchema,
        response: { 201: ConcernSchema, ...problems(404) }
      }
    },
    async (request, reply) => {
      await app.db.transaction().execute(async (trx) => {
        await concerns.addAction(trx, request.caller, request.params.id, request.body)
        await auditConcern(trx, request, 'update', request.params.id)
      })
      return await reply.code(201).send(await concernView(app.db, request.caller, request.params.id))
    }
  )

  app.post(
    '/safeguarding-concerns/:id/acknowledge',
    {
      config: { roles: LEADS },
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {}
      },
      schema: {
        tags: ['safeguarding'],
        operationId: 'acknowledgeConcern',
        security: bearer,
        summary: 'Acknowledge a concern: records who and when; a second acknowledgement is 409 and the first stands',
        params: IdParams,
        body: AcknowledgeConcernSchema,
        response: { 200: ConcernSchema, ...problems(404, 409) }
      }
    },
    async (request) => {
      await app.db.transaction().execute(async (trx) => {
        await workflow.acknowledge(trx, request.caller, request.params.id)
        await auditConcern(trx, request, 'update', request.params.id)
      })
      return await concernView(app.db, request.caller, request.params.id)
    }
  )

  app.post(
    '/safeguarding-concerns/:id/lado-referral',
    {
      config: { roles: LEADS },
      schema: {
        tags: ['safeguarding'],
        operationId: 'referConcernToLado',
        security: bearer,
        summary: 'Record the referral of an allegation to the LADO: its deadline is met',
        description:
          'Only for an allegation (422 otherwise); once (409). `referred_on` is not in the future nor before the concern was raised.',
        params: IdParams,
        body: LadoReferralSchema,
        response: { 200: ConcernSchema, ...problems(404, 409, 422) }
      }
    },
    async (request) => {
      await app.db.transaction().execute(async (trx) => {
        await workflow.referToLado(
          trx,
          request.caller,
          request.params.id,
          request.body,
          today(),
          app.config.SCHEDULE_TZ
        )
        await auditConcern(trx, request, 'update', request.params.id)
      })
      return await concernView(app.db, request.caller, request.params.id)
    }
  )

  app.post(
    '/safeguarding-concerns/:id/outcome',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['safeguarding'],
        operationId: 'recordConcernOutcome',
        security: bearer,
        summary: 'Record the outcome: the concern closes and takes its retention class',
        description:
          'Needs the concern acknowledged and, for an allegation, referred to the LADO (409 with the reasons otherwise). An allegation substantiated or unsubstantiated is kept as `allegation_substantiated`, unfounded or malicious as `allegation_unfounded`; any other concern as `safeguarding_concern`. A mentor suspended by an allegation is then reinstated by someone other than the admin who recorded the outcome.',
        params: IdParams,
        body: ConcernOutcomeInputSchema,
        response: { 200: ConcernSchema, ...problems(404, 409) }
      }
    },
    async (request) => {
      await app.db.transaction().execute(async (trx) => {
        await workflow.recordOutcome(trx, request.caller, request.params.id, request.body)
        await auditConcern(trx, request, 'status_change', request.params.id)
      })
      return await concernView(app.db, request.caller, request.params.id)
    }
  )
}
