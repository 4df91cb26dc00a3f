import type { FastifyInstance } from 'fastify'
import { wire } from '../../lib/wire.js'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import {
  ComplianceQuerySchema,
  ComplianceSchema,
  CreateMentorSchema,
  ListMentorsQuerySchema,
  MentorActionSchema,
  MentorHistorySchema,
  MentorPageSchema,
  MentorRef,
  UpdateMentorSchema,
  type Mentor
} from '../../schemas/mentors.js'
import { bearer, IdempotencyHeaders, IdParams, IfMatchHeaders, problems } from '../../schemas/common.js'
import * as service from '../../mentors/mentors.service.js'
import * as repo from '../../mentors/mentors.repository.js'
import { evaluate } from '../../mentors/compliance.js'
import { clearedMentorIdsQuery, loadRecords } from '../../mentors/compliance.repository.js'
import { runIdempotent } from '../../lib/idempotency.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'
import { todayIn } from '../../lib/dates.js'
import { notFound } from '../../errors/catalogue.js'
import type { Role } from '../../auth/roles.js'
import vettingRoutes from '../../mentors/vetting.routes.js'
import { audit, auditMentorChanges, mentorRecord } from '../../audit/accessor.js'

const READERS: readonly Role[] = ['coordinator', 'admin', 'mentor']

export default async function mentorRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const today = (): string => todayIn(app.config.SCHEDULE_TZ)

  app.post(
    '/mentors',
    {
      config: { roles: ['coordinator'] },
      schema: {
        tags: ['mentors'],
        operationId: 'createMentor',
        security: bearer,
        summary: 'Record a mentor applicant',
        description:
          'A new mentor is an `applicant`; it moves to `vetting` with its first vetting record. Honours `Idempotency-Key`.',
        headers: IdempotencyHeaders,
        body: CreateMentorSchema,
        response: { 201: MentorRef, ...problems(409, 422) }
      }
    },
    async (request, reply) => {
      const result = await runIdempotent<Mentor>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/mentors',
        request.body,
        async (trx) => {
          const row = await service.createMentor(trx, request.caller, request.body, today())
          await audit(trx, request, [mentorRecord('create', 'mentor', row.id, row.id)])
          return { status: 201, body: service.toMentor(row) }
        }
      )
      if (result.replayed) {
        // The replay sends the mentor's record again: a read.
        await audit(app.db, request, [mentorRecord('read', 'mentor', result.body.id, result.body.id)])
        void reply.header('idempotent-replayed', 'true')
      }
      return await reply.code(201).header('location', `/v1/mentors/${result.body.id}`).send(result.body)
    }
  )

  app.get(
    '/mentors',
    {
      config: { roles: READERS },
      schema: {
        tags: ['mentors'],
        operationId: 'listMentors',
        security: bearer,
        summary: 'List mentors, newest first (a mentor sees only its own record)',
        description:
          "`cleared` is derived for today in SCHEDULE_TZ: for `programme_id` when given, else for any of the mentor's programmes.",
        querystring: ListMentorsQuerySchema,
        response: { 200: MentorPageSchema, ...problems() }
      }
    },
    async (request) => {
      const { limit, cursor, cleared, ...filter } = request.query
      const scope = service.scopeFor(request.caller)
      const rows = await repo.listMentors(
        app.db,
        scope,
        {
          ...filter,
          ...(cleared !== undefined
            ? { cleared: { value: cleared, query: clearedMentorIdsQuery(scope.org, today(), filter.programme_id) } }
            : {})
        },
        decodeCursor(cursor),
        limit
      )
      const page = pageOf(rows, limit)
      await audit(
        app.db,
        request,
        page.rows.map((m) => mentorRecord('read', 'mentor', m.id, m.id))
      )
      return { data: page.rows.map(service.toMentor), next_cursor: page.next }
    }
  )

  app.get(
    '/mentors/:id',
    {
      config: { roles: READERS },
      schema: {
        tags: ['mentors'],
        operationId: 'getMentor',
        security: bearer,
        summary: 'A mentor (with an ETag)',
        params: IdParams,
        response: { 200: MentorRef, ...problems(404) }
      }
    },
    async (request, reply) => {
      const row = await repo.findMentor(app.db, service.scopeFor(request.caller), request.params.id)
      if (row === undefined) throw notFound('Mentor')
      await audit(app.db, request, [mentorRecord('read', 'mentor', row.id, row.id)])
      return await reply.header('etag', service.etagOf(row)).send(service.toMentor(row))
    }
  )

  app.patch(
    '/mentors/:id',
    {
      config: { roles: ['coordinator', 'mentor'] },
      schema: {
        tags: ['mentors'],
        operationId: 'updateMentor',
        security: bearer,
        summary: 'Update a mentor',
        description: `A coordinator may change every field; a mentor only its own ${['phone', 'languages', 'interests', 'skills', 'availability', 'delivery_modes', 'experience_summary'].join(', ')} (any other field is a 403 naming it). Honours \`If-Match\` (412 when stale).`,
        params: IdParams,
        headers: IfMatchHeaders,
        body: UpdateMentorSchema,
        response: { 200: MentorRef, ...problems(404, 409, 412, 422) }
      }
    },
    async (request, reply) => {
      const row = await app.db.transaction().execute(async (trx) => {
        const updated = await service.updateMentor(
          trx,
          request.caller,
          request.params.id,
          request.body,
          request.headers['if-match'],
          today()
        )
        await audit(trx, request, [mentorRecord('update', 'mentor', updated.id, updated.id)])
        return updated
      })
      return await reply.header('etag', service.etagOf(row)).send(service.toMentor(row))
    }
  )

  app.get(
    '/mentors/:id/history',
    {
      config: { roles: READERS },
      schema: {
        tags: ['mentors'],
        operationId: 'getMentorHistory',
        security: bearer,
        summary: 'Status changes with who, when and why',
        params: IdParams,
        response: { 200: MentorHistorySchema, ...problems(404) }
      }
    },
    async (request) => {
      const row = await repo.findMentor(app.db, service.scopeFor(request.caller), request.params.id)
      if (row === undefined) throw notFound('Mentor')
      const history = await repo.listHistory(app.db, row.id)
      await audit(app.db, request, [mentorRecord('read', 'mentor', row.id, row.id)])
      return { data: history.map(wire) }
    }
  )

  app.get(
    '/mentors/:id/compliance',
    {
      config: { roles: READERS },
      schema: {
        tags: ['mentors'],
        operationId: 'getMentorCompliance',
        security: bearer,
        summary: 'Derived compliance: each programme requirement as ok, missing, expiring or expired',
        description:
          'Never stored: worked out from the vetting records for `as_of` (default today in SCHEDULE_TZ). `expires_on` is the day a record lapses: from that day it no longer counts. `expiring` means within 30 days. The mentor is `cleared` for a programme when approved and every check of that programme is ok or expiring.',
        params: IdParams,
        querystring: ComplianceQuerySchema,
        response: { 200: ComplianceSchema, ...problems(404) }
      }
    },
    async (request) => {
      const scope = service.scopeFor(request.caller)
      const asOf = request.query.as_of ?? today()
      const id = request.params.id
      if (scope.mentorId !== undefined && scope.mentorId !== id) throw notFound('Mentor')
      const records = (await loadRecords(app.db, scope.org, [id])).get(id)
      if (records === undefined) throw notFound('Mentor')
      const result = evaluate(records, asOf)
      await audit(app.db, request, [mentorRecord('read', 'compliance', id, id)])
      return { mentor_id: id, status: records.status as Mentor['status'], as_of: asOf, ...result }
    }
  )

  const actions: Array<{ path: service.MentorAction; operationId: string; summary: string }> = [
    {
      path: 'approve',
      operationId: 'approveMentor',
      summary:
        'Approve: refused (422, with every reason) unless the mentor meets every requirement of each of its programmes today'
    },
    { path: 'suspend', operationId: 'suspendMentor', summary: 'Suspend an approved mentor' },
    {
      path: 'reinstate',
      operationId: 'reinstateMentor',
      summary:
        'Reinstate a suspended mentor: refused (422) unless compliance is clear; after an allegation, only once it has an outcome (409) and by someone other than who recorded it (403)'
    },
    { path: 'withdraw', operationId: 'withdrawMentor', summary: 'Withdraw the mentor; final' }
  ]
  for (const a of actions) {
    app.post(
      `/mentors/:id/${a.path}`,
      {
        // Reinstating after an allegation is a second person's decision, which an admin may take.
        config: { roles: a.path === 'reinstate' ? ['coordinator', 'admin'] : ['coordinator'] },
        // The body is optional: an action without one is the same as `{}`.
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {}
        },
        schema: {
          tags: ['mentors'],
          operationId: a.operationId,
          summary: a.summary,
          security: bearer,
          params: IdParams,
          headers: IfMatchHeaders,
          body: MentorActionSchema,
          response: { 200: MentorRef, ...problems(404, 409, 412, 422) }
        }
      },
      async (request, reply) => {
        const row = await app.db.transaction().execute(async (trx) => {
          const changed = await service.transition(
            trx,
            request.caller,
            request.params.id,
            a.path,
            request.body.reason,
            request.headers['if-match'],
            today()
          )
          await audit(trx, request, [mentorRecord('status_change', 'mentor', changed.id, changed.id)])
          await auditMentorChanges(trx, request, changed.id, null)
          return changed
        })
        return await reply.header('etag', service.etagOf(row)).send(service.toMentor(row))
      }
    )
  }

  await app.register(vettingRoutes)
}
