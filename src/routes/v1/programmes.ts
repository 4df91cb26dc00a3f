import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import {
  CreateProgrammeSchema,
  ListProgrammesQuerySchema,
  ProgrammePageSchema,
  ProgrammeSchema,
  UpdateProgrammeSchema
} from '../../schemas/programmes.js'
import { bearer, IdempotencyHeaders, IdParams, IfMatchHeaders, problems } from '../../schemas/common.js'
import * as repo from '../../programmes/programmes.repository.js'
import { normaliseRules } from '../../programmes/programme-rules.js'
import { AppError, notFound } from '../../errors/catalogue.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'
import { runIdempotent } from '../../lib/idempotency.js'
import type { ProgrammeRow } from '../../db/types.js'
import { checkIfMatch, etagOf } from '../../lib/etag.js'
import { wire, type Wire } from '../../lib/wire.js'

export default async function programmeRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const readers = ['admin', 'coordinator', 'referrer', 'mentor', 'integration'] as const

  app.post(
    '/programmes',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['programmes'],
        operationId: 'createProgramme',
        summary: 'Create a programme with its rules',
        security: bearer,
        description: 'Fills in every rule left out with its default. Honours `Idempotency-Key`.',
        headers: IdempotencyHeaders,
        body: CreateProgrammeSchema,
        response: { 201: ProgrammeSchema, ...problems(409) }
      }
    },
    async (request, reply) => {
      const rules = normaliseRules(request.body.rules)
      const result = await runIdempotent<Wire<ProgrammeRow>>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/programmes',
        request.body,
        async (trx) => {
          const row = await repo.insertProgramme(trx, {
            organisation_id: request.caller.org as string,
            name: request.body.name,
            kind: request.body.kind,
            description: request.body.description ?? null,
            active: request.body.active ?? true,
            rules
          })
          return { status: 201, body: wire(row) }
        }
      )
      const row = result.body
      if (result.replayed) void reply.header('idempotent-replayed', 'true')
      return await reply
        .code(201)
        .header('location', `/v1/programmes/${row.id}`)
        .header('etag', etagOf(row))
        .send(wire(row))
    }
  )

  app.get(
    '/programmes',
    {
      config: { roles: readers },
      schema: {
        tags: ['programmes'],
        operationId: 'listProgrammes',
        summary: "The organisation's programmes",
        security: bearer,
        querystring: ListProgrammesQuerySchema,
        response: { 200: ProgrammePageSchema, ...problems() }
      }
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query
      const rows = await repo.listProgrammes(app.db, request.caller.org as string, filter, decodeCursor(cursor), limit)
      const page = pageOf(rows, limit)
      return { data: page.rows.map(wire), next_cursor: page.next }
    }
  )

  app.get(
    '/programmes/:id',
    {
      config: { roles: readers },
      schema: {
        tags: ['programmes'],
        operationId: 'getProgramme',
        summary: 'A programme and its rules',
        security: bearer,
        params: IdParams,
        response: { 200: ProgrammeSchema, ...problems(404) }
      }
    },
    async (request, reply) => {
      const row = await repo.findProgramme(app.db, request.caller.org as string, request.params.id)
      if (row === undefined) throw notFound('Programme')
      return await reply.header('etag', etagOf(row)).send(wire(row))
    }
  )

  app.patch(
    '/programmes/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['programmes'],
        operationId: 'updateProgramme',
        summary: 'Change a programme or its rules (rules are replaced whole)',
        security: bearer,
        params: IdParams,
        headers: IfMatchHeaders,
        body: UpdateProgrammeSchema,
        response: { 200: ProgrammeSchema, ...problems(404, 412) }
      }
    },
    async (request, reply) => {
      const org = request.caller.org as string
      const current = await repo.findProgramme(app.db, org, request.params.id)
      if (current === undefined) throw notFound('Programme')
      checkIfMatch(request.headers['if-match'], current, 'programme')
      const rules = request.body.rules !== undefined ? normaliseRules(request.body.rules) : undefined
      const row = await repo.updateProgramme(app.db, org, current.id, current.version, { ...request.body, rules })
      if (row === undefined)
        throw new AppError('precondition_failed', 'The programme changed while you were updating it')
      return await reply.header('etag', etagOf(row)).send(wire(row))
    }
  )
}
