import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import {
  CreateUserSchema,
  ListUsersQuerySchema,
  UpdateUserSchema,
  UserPageSchema,
  UserSchema
} from '../../schemas/users.js'
import { bearer, IdParams, IfMatchHeaders, problems } from '../../schemas/common.js'
import * as repo from '../../users/users.repository.js'
import { AppError, notFound } from '../../errors/catalogue.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'
import { checkIfMatch, etagOf } from '../../lib/etag.js'
import { wire } from '../../lib/wire.js'

/** The staff directory: who gets coordinator and admin alerts by email. */
export default async function userRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.post(
    '/users',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['users'],
        operationId: 'createUser',
        summary: 'Add a member of staff (receives alerts for their roles)',
        security: bearer,
        body: CreateUserSchema,
        response: { 201: UserSchema, ...problems(409) }
      }
    },
    async (request, reply) => {
      const row = await repo.insertUser(app.db, {
        organisation_id: request.caller.org as string,
        email: request.body.email,
        name: request.body.name,
        roles: request.body.roles,
        subject: request.body.subject ?? null,
        safeguarding_lead: request.body.safeguarding_lead ?? false
      })
      return await reply.code(201).header('location', `/v1/users/${row.id}`).header('etag', etagOf(row)).send(wire(row))
    }
  )

  app.get(
    '/users',
    {
      config: { roles: ['admin', 'coordinator'] },
      schema: {
        tags: ['users'],
        operationId: 'listUsers',
        summary: "The organisation's staff",
        security: bearer,
        querystring: ListUsersQuerySchema,
        response: { 200: UserPageSchema, ...problems() }
      }
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query
      const page = pageOf(
        await repo.listUsers(app.db, request.caller.org as string, filter, decodeCursor(cursor), limit),
        limit
      )
      return { data: page.rows.map(wire), next_cursor: page.next }
    }
  )

  app.patch(
    '/users/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['users'],
        operationId: 'updateUser',
        summary: 'Change or deactivate a member of staff',
        security: bearer,
        params: IdParams,
        headers: IfMatchHeaders,
        body: UpdateUserSchema,
        response: { 200: UserSchema, ...problems(404, 409, 412) }
      }
    },
    async (request, reply) => {
      const org = request.caller.org as string
      const current = await repo.findUser(app.db, org, request.params.id)
      if (current === undefined) throw notFound('User')
      checkIfMatch(request.headers['if-match'], current, 'user')
      const row = await repo.updateUser(app.db, org, current.id, current.version, request.body)
      if (row === undefined) throw new AppError('precondition_failed', 'The user changed while you were updating it')
      return await reply.header('etag', etagOf(row)).send(wire(row))
    }
  )
}
