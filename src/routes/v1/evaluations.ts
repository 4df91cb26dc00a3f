import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import {
  EvaluationPageSchema,
  EvaluationSchema,
  ListEvaluationsQuerySchema,
  MatchIdParams,
  RecordEvaluationSchema,
  type Evaluation
} from '../../schemas/evaluations.js'
import { bearer, IdempotencyHeaders, IdParams, problems } from '../../schemas/common.js'
import * as service from '../../evaluations/evaluations.service.js'
import * as repo from '../../evaluations/evaluations.repository.js'
import { decodeCursor, encodeCursor } from '../../lib/cursor.js'
import { runIdempotent } from '../../lib/idempotency.js'
import { todayIn } from '../../lib/dates.js'
import { notFound } from '../../errors/catalogue.js'
import { audit, matchRecords } from '../../audit/accessor.js'

const SCALES =
  'Measures, each 1-5: has_trusted_adult (1 no one they trust ... 5 always has someone they trust), feels_listened_to (1 never ... 5 always), confidence (1 very low ... 5 very good), education_engagement (1 disengaged or not attending ... 5 fully engaged), goal_progress (1 no progress ... 5 goals met).'

export default async function evaluationRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const today = (): string => todayIn(app.config.SCHEDULE_TZ)

  app.get(
    '/evaluations',
    {
      config: { roles: ['coordinator', 'admin', 'mentor'] },
      schema: {
        tags: ['evaluations'],
        operationId: 'listEvaluations',
        security: bearer,
        summary: 'Evaluations by due date (a mentor sees those of its own matches)',
        description:
          'Annual evaluations fall due every `evaluation_interval_months` after a match starts, an early review at `early_review_months`, and a closure evaluation 14 days after it closes. Pauses move later due dates back by the days paused; a closure cancels those not yet due. Ordered by due date, then id.',
        querystring: ListEvaluationsQuerySchema,
        response: { 200: EvaluationPageSchema, ...problems() }
      }
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query
      const position = decodeCursor(cursor)
      const after = position === null ? null : { due_on: position.at.toISOString().slice(0, 10), id: position.id }
      const day = today()
      const rows = await repo.listEvaluations(app.db, service.scopeFor(request.caller), filter, day, after, limit)
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      const next = rows.length > limit ? encodeCursor({ at: new Date(`${last.due_on}T00:00:00Z`), id: last.id }) : null
      await audit(app.db, request, await matchRecords(app.db, request, 'read', 'evaluation', page))
      return { data: page.map((r) => service.toEvaluation(r, day)), next_cursor: next }
    }
  )

  app.get(
    '/evaluations/:id',
    {
      config: { roles: ['coordinator', 'admin', 'mentor'] },
      schema: {
        tags: ['evaluations'],
        operationId: 'getEvaluation',
        security: bearer,
        summary: 'An evaluation with its responses',
        params: IdParams,
        response: { 200: EvaluationSchema, ...problems(404) }
      }
    },
    async (request) => {
      const row = await repo.findEvaluation(app.db, service.scopeFor(request.caller), request.params.id)
      if (row === undefined) throw notFound('Evaluation')
      const responses = await repo.responsesFor(app.db, [row.id])
      await audit(app.db, request, await matchRecords(app.db, request, 'read', 'evaluation', [row]))
      return service.toEvaluation(row, today(), responses)
    }
  )

  app.post(
    '/matches/:id/evaluations',
    {
      config: { roles: ['coordinator', 'mentor'] },
      schema: {
        tags: ['evaluations'],
        operationId: 'recordEvaluation',
        security: bearer,
        summary: 'Record an evaluation of a match (a mentor, for its own matches)',
        description: `Completes the evaluation named by \`evaluation_id\`, else the earliest due one of \`kind\`, else the earliest due one; 409 when none is due. One response per respondent (young_person, mentor, referrer, parent_carer). ${SCALES} Honours \`Idempotency-Key\`.`,
        params: MatchIdParams,
        headers: IdempotencyHeaders,
        body: RecordEvaluationSchema,
        response: { 201: EvaluationSchema, ...problems(404, 409, 422) }
      }
    },
    async (request, reply) => {
      const day = today()
      const result = await runIdempotent<Evaluation>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        `POST /v1/matches/${request.params.id}/evaluations`,
        request.body,
        async (trx) => {
          const { row, responses } = await service.recordEvaluation(
            trx,
            request.caller,
            request.params.id,
            request.body,
            day
          )
          await audit(trx, request, await matchRecords(trx, request, 'update', 'evaluation', [row]))
          return { status: 201, body: service.toEvaluation(row, day, responses) }
        }
      )
      if (result.replayed) void reply.header('idempotent-replayed', 'true')
      return await reply.code(201).header('location', `/v1/evaluations/${result.body.id}`).send(result.body)
    }
  )
}
