import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CreateOrganisationSchema, OrganisationSchema } from '../../schemas/organisations.js'
import { bearer, problems } from '../../schemas/common.js'
import { findOrganisation, findOrganisationByCode, insertOrganisation } from '../../organisations/organisations.repository.js'
import { AppError, notFound } from '../../errors/catalogue.js'

export default async function organisationRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.post('/organisations', {
    config: { roles: ['platform_admin'] },
    schema: {
      tags: ['organisations'], operationId: 'createOrganisation', summary: 'Create an organisation (tenant)', security: bearer,
      body: CreateOrganisationSchema,
      response: { 201: OrganisationSchema, ...problems(409) }
    }
  }, async (request, reply) => {
    if (await findOrganisationByCode(app.db, request.body.code) !== undefined) {
      throw new AppError('conflict', `The code ${request.body.code} is taken`, { reasons: [{ code: 'code_taken', message: 'Organisation codes are unique' }] })
    }
    const row = await insertOrganisation(app.db, request.body)
    return await reply.code(201).header('location', `/v1/organisation`).send(row as any)
  })

  app.get('/organisation', {
    config: { roles: ['admin', 'coordinator', 'referrer', 'mentor', 'integration'] },
    schema: {
      tags: ['organisations'], operationId: 'getOrganisation', summary: "The caller's organisation", security: bearer,
      response: { 200: OrganisationSchema, ...problems(404) }
    }
  }, async (request) => {
    const row = await findOrganisation(app.db, request.caller.org as string)
    if (row === undefined) throw notFound('Organisation')
    return row as any
  })
}
