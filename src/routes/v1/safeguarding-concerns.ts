import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { bearer, IdempotencyHeaders, IdParams, problems } from '../../schemas/common.js'
import { ConcernPageSchema, ConcernSchema, CreateConcernActionSchema, CreateConcernSchema, ListConcernsQuerySchema } from '../../schemas/safeguarding-concerns.js'
import { todayIn } from '../../lib/dates.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'
import { runIdempotent } from '../../lib/idempotency.js'
import { notFound } from '../../errors/catalogue.js'
import * as concerns from '../../matches/concerns.service.js'
import { audit, matchRecords } from '../../audit/accessor.js'

const RAISERS = ['coordinator', 'mentor', 'referrer'] as const

export default async function concernRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const today = (): string => todayIn(app.config.SCHEDULE_TZ)

  app.post('/safeguarding-concerns', {
    config: { roles: RAISERS },
    schema: {
      tags: ['safeguarding'], operationId: 'raiseConcern', security: bearer,
      summary: 'Raise a safeguarding concern; every coordinator is alerted at once',
      description: 'A mentor about one of its matches (`match_id`), a referrer about one of its referrals, a coordinator about any. The alert goes out ahead of all other mail. A concern is a record: it is never edited or deleted, only followed up with actions. Honours `Idempotency-Key`.',
      headers: IdempotencyHeaders, body: CreateConcernSchema,
      response: { 201: ConcernSchema, ...problems() }
    }
  }, async (request, reply) => {
    const created: string[] = []
    const result = await runIdempotent<any>(app.db, request.caller, request.headers['idempotency-key'], 'POST /v1/safeguarding-concerns', request.body, async (trx) => {
      const { row, reference, notificationIds } = await concerns.raiseConcern(trx, request.caller, request.body, today())
      await audit(trx, request, await matchRecords(trx, request, 'create', 'concern', [row]))
      created.push(...notificationIds)
      return { status: 201, body: concerns.toConcern({ ...row, reference }, []) }
    })
    await app.dispatch.notifications(created, request.log, { urgent: true })
    return await reply.code(201).header('location', `/v1/safeguarding-concerns/${result.body.id as string}`).send(result.body)
  })

  app.get('/safeguarding-concerns', {
    config: { roles: RAISERS },
    schema: {
      tags: ['safeguarding'], operationId: 'listConcerns', security: bearer,
      summary: 'Concerns, newest first: a coordinator sees all, a mentor or referrer those it raised',
      querystring: ListConcernsQuerySchema,
      response: { 200: ConcernPageSchema, ...problems() }
    }
  }, async (request) => {
    const { limit, cursor, ...filter } = request.query
    const rows = await concerns.listConcerns(app.db, request.caller, filter, decodeCursor(cursor), limit)
    const page = pageOf(rows, limit)
    const actions = await concerns.actionsOf(app.db, page.rows.map((r) => r.id))
    await audit(app.db, request, await matchRecords(app.db, request, 'read', 'concern', page.rows))
    return { data: page.rows.map((r) => concerns.toConcern(r, actions.get(r.id) ?? [])), next_cursor: page.next }
  })

  app.get('/safeguarding-concerns/:id', {
    config: { roles: RAISERS },
    schema: {
      tags: ['safeguarding'], operationId: 'getConcern', security: bearer,
      summary: 'A concern with its follow-up actions',
      params: IdParams,
      response: { 200: ConcernSchema, ...problems(404) }
    }
  }, async (request) => {
    const row = await concerns.findConcern(app.db, request.caller, request.params.id)
    if (row === undefined) throw notFound('Concern')
    const actions = (await concerns.actionsOf(app.db, [row.id])).get(row.id) ?? []
    await audit(app.db, request, await matchRecords(app.db, request, 'read', 'concern', [row]))
    return concerns.toConcern(row, actions)
  })

  app.post('/safeguarding-concerns/:id/actions', {
    config: { roles: ['coordinator'] },
    schema: {
      tags: ['safeguarding'], operationId: 'addConcernAction', security: bearer,
      summary: 'Append a follow-up action to a concern (the concern itself never changes)',
      params: IdParams, body: CreateConcernActionSchema,
      response: { 201: ConcernSchema, ...problems(404) }
    }
  }, async (request, reply) => {
    const row = await app.db.transaction().execute(async (trx) => {
      await concerns.addAction(trx, request.caller, request.params.id, request.body)
      const followed = await concerns.findConcern(trx, request.caller, request.params.id)
      if (followed === undefined) throw notFound('Concern')
      await audit(trx, request, await matchRecords(trx, request, 'update', 'concern', [followed]))
      return followed
    })
    return await reply.code(201).send(concerns.toConcern(row, (await concerns.actionsOf(app.db, [row.id])).get(row.id) ?? []))
  })
}
