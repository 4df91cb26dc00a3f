import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { bearer, IdempotencyHeaders, IdParams, problems } from '../../schemas/common.js'
import { CreateErasureRequestSchema, ErasureRequestSchema, type ErasureRequest } from '../../schemas/data-protection.js'
import * as service from '../../data-protection/erasure.service.js'
import { findErasure } from '../../data-protection/erasure.repository.js'
import { accessorOf, audit } from '../../audit/accessor.js'
import { requestRecords } from '../../data-protection/request-events.js'
import { runIdempotent } from '../../lib/idempotency.js'
import { notFound } from '../../errors/catalogue.js'

/** Erasure requests (UK GDPR Art. 17): what can go, what the law keeps, and a second admin's approval. */
export default async function erasureRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.post(
    '/erasure-requests',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'createErasureRequest',
        security: bearer,
        summary: "Ask for a subject's records to be erased; a second admin approves",
        description:
          'Answers with what is `erasable` and what is `retained` with its `legal_basis`: safeguarding concerns and allegations, records on legal hold, casework still open, a mentor still volunteering. A subject that matches no record is a 422 with reasons. Honours `Idempotency-Key`.',
        headers: IdempotencyHeaders,
        body: CreateErasureRequestSchema,
        response: { 201: ErasureRequestSchema, ...problems(422) }
      }
    },
    async (request, reply) => {
      const result = await runIdempotent<ErasureRequest>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/erasure-requests',
        request.body,
        async (trx) => {
          const row = await service.createErasure(trx, request.caller, request.body)
          await audit(trx, request, requestRecords('create', 'erasure_request', row))
          return { status: 201, body: service.toErasure(row) }
        }
      )
      if (result.replayed) {
        // The replay names the subject's records again: a read.
        const row = await findErasure(app.db, request.caller.org as string, result.body.id)
        if (row !== undefined) await audit(app.db, request, requestRecords('read', 'erasure_request', row))
        void reply.header('idempotent-replayed', 'true')
      }
      return await reply.code(201).header('location', `/v1/erasure-requests/${result.body.id}`).send(result.body)
    }
  )

  app.get(
    '/erasure-requests/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'getErasureRequest',
        security: bearer,
        summary: 'An erasure request',
        params: IdParams,
        response: { 200: ErasureRequestSchema, ...problems(404) }
      }
    },
    async (request) => {
      const row = await findErasure(app.db, request.caller.org as string, request.params.id)
      if (row === undefined) throw notFound('Erasure request')
      await audit(app.db, request, requestRecords('read', 'erasure_request', row))
      return service.toErasure(row)
    }
  )

  app.post(
    '/erasure-requests/:id/approve',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'approveErasureRequest',
        security: bearer,
        summary: 'Approve, and anonymise what is erasable at once',
        description:
          'By an admin other than the one who asked (that one gets 403). What is erasable is decided again at approval: a legal hold placed since keeps its record. Each record anonymised is an audit event.',
        params: IdParams,
        response: { 200: ErasureRequestSchema, ...problems(404, 409) }
      }
    },
    async (request) => {
      const who = accessorOf(request)
      const row = await app.db.transaction().execute(async (trx) => {
        const approved = await service.approveErasure(trx, request.caller, who, request.params.id)
        await audit(trx, request, requestRecords('status_change', 'erasure_request', approved))
        return approved
      })
      return service.toErasure(row)
    }
  )
}
