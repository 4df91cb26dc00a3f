import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CreateOrganisationSchema, OrganisationSchema } from '../../schemas/organisations.js'
import { bearer, IdempotencyHeaders, problems } from '../../schemas/common.js'
import {
  findOrganisation,
  findOrganisationByCode,
  insertOrganisation
} from '../../organisations/organisations.repository.js'
import { AppError, notFound } from '../../errors/catalogue.js'
import { runIdempotent } from '../../lib/idempotency.js'
import type { OrganisationRow } from '../../db/types.js'
import { wire, type Wire } from '../../lib/wire.js'

export default async function organisationRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.post(
    '/organisations',
    {
      config: { roles: ['platform_admin'] },
      schema: {
        tags: ['organisations'],
        operationId: 'createOrganisation',
        summary: 'Create an organisation (tenant)',
        security: bearer,
        description: 'Honours `Idempotency-Key`.',
        headers: IdempotencyHeaders,
        body: CreateOrganisationSchema,
        response: { 201: OrganisationSchema, ...problems(409) }
      }
    },
    async (request, reply) => {
      const result = await runIdempotent<Wire<OrganisationRow>>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/organisations',
        request.body,
        async (trx) => {
          if ((await findOrganisationByCode(trx, request.body.code)) !== undefined) {
            throw new AppError('conflict', `The code ${request.body.code} is taken`, {
              reasons: [{ code: 'code_taken', message: 'Organisation codes are unique' }]
            })
          }
          return { status: 201, body: wire(await insertOrganisation(trx, request.body)) }
        }
      )
      if (result.replayed) void reply.header('idempotent-replayed', 'true')
      return await reply.code(201).header('location', `/v1/organisation`).send(result.body)
    }
  )

  app.get(
    '/organisation',
    {
      config: { roles: ['admin', 'coordinator', 'referrer', 'mentor', 'integration'] },
      schema: {
        tags: ['organisations'],
        operationId: 'getOrganisation',
        summary: "The caller's organisation",
        security: bearer,
        response: { 200: OrganisationSchema, ...problems(404) }
      }
    },
    async (request) => {
      const row = await findOrganisation(app.db, request.caller.org as string)
      if (row === undefined) throw notFound('Organisation')
      return wire(row)
    }
  )
}
