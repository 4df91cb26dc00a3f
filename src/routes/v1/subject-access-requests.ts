import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { bearer, IdempotencyHeaders, IdParams, problems } from '../../schemas/common.js'
import {
  CompleteSubjectAccessRequestSchema,
  CreateSubjectAccessRequestSchema,
  ExtendSubjectAccessRequestSchema,
  ListSubjectAccessRequestsQuerySchema,
  SubjectAccessExportSchema,
  SubjectAccessRequestPageSchema,
  SubjectAccessRequestSchema,
  type SubjectAccessRequest
} from '../../schemas/data-protection.js'
import * as service from '../../data-protection/subject-access.service.js'
import * as repo from '../../data-protection/subject-access.repository.js'
import { subjectRecords } from '../../data-protection/subjects.repository.js'
import { buildExport } from '../../data-protection/export.js'
import { recordEvents } from '../../data-protection/events.repository.js'
import { accessorOf, audit } from '../../audit/accessor.js'
import { requestRecords } from '../../data-protection/request-events.js'
import { findOrganisation } from '../../organisations/organisations.repository.js'
import { runIdempotent } from '../../lib/idempotency.js'
import { decodeCursor, encodeCursor } from '../../lib/cursor.js'
import { todayIn } from '../../lib/dates.js'
import { notFound } from '../../errors/catalogue.js'
import type { Executor } from '../../db/database.js'
import type { SubjectAccessRequestRow } from '../../db/types.js'
import type { AccessedRecord, AuditAction } from '../../audit/audit.repository.js'

/** Subject access requests (UK GDPR Art. 15): tracked to the ICO's deadline, answered with one export. */
export default async function subjectAccessRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const today = (): string => todayIn(app.config.SCHEDULE_TZ)
  const events = (action: AuditAction, row: SubjectAccessRequestRow): AccessedRecord[] =>
    requestRecords(action, 'subject_access_request', row)
  const view = async (db: Executor, row: SubjectAccessRequestRow): Promise<SubjectAccessRequest> =>
    service.toRequest(
      row,
      await subjectRecords(db, row.organisation_id, { referralIds: row.referral_ids, mentorIds: row.mentor_ids })
    )

  app.post(
    '/subject-access-requests',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'createSubjectAccessRequest',
        security: bearer,
        summary: 'Record a subject access request; due one calendar month from receipt',
        description:
          "The subject is a young person (by `referral_id`, or `given_name`, `family_name` and `date_of_birth`: every referral of that child is found) or a mentor (by `mentor_id`, or name). A subject that matches no record is a 422 with reasons. `due_on` is the same day of the next month, or that month's last day. Honours `Idempotency-Key`.",
        headers: IdempotencyHeaders,
        body: CreateSubjectAccessRequestSchema,
        response: { 201: SubjectAccessRequestSchema, ...problems(422) }
      }
    },
    async (request, reply) => {
      const result = await runIdempotent<SubjectAccessRequest>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/subject-access-requests',
        request.body,
        async (trx) => {
          const row = await service.createRequest(trx, request.caller, request.body, today())
          await audit(trx, request, events('create', row))
          return { status: 201, body: await view(trx, row) }
        }
      )
      if (result.replayed) {
        // The replay names the subject's records again: a read.
        const row = await repo.findRequest(app.db, request.caller.org as string, result.body.id)
        if (row !== undefined) await audit(app.db, request, events('read', row))
        void reply.header('idempotent-replayed', 'true')
      }
      return await reply.code(201).header('location', `/v1/subject-access-requests/${result.body.id}`).send(result.body)
    }
  )

  app.get(
    '/subject-access-requests',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'listSubjectAccessRequests',
        security: bearer,
        summary: 'Subject access requests, the one due first first',
        description: '`?status=open` is the work queue: ordered by `due_on`, then id.',
        querystring: ListSubjectAccessRequestsQuerySchema,
        response: { 200: SubjectAccessRequestPageSchema, ...problems() }
      }
    },
    async (request) => {
      const { limit, cursor, status } = request.query
      const rows = await repo.listRequests(app.db, request.caller.org as string, status, decodeCursor(cursor), limit)
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      const next = rows.length > limit ? encodeCursor({ at: `${last.due_on}T00:00:00.000Z`, id: last.id }) : null
      await audit(
        app.db,
        request,
        page.flatMap((r) => events('read', r))
      )
      return { data: await Promise.all(page.map(async (r) => await view(app.db, r))), next_cursor: next }
    }
  )

  app.get(
    '/subject-access-requests/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'getSubjectAccessRequest',
        security: bearer,
        summary: 'A subject access request',
        params: IdParams,
        response: { 200: SubjectAccessRequestSchema, ...problems(404) }
      }
    },
    async (request) => {
      const row = await repo.findRequest(app.db, request.caller.org as string, request.params.id)
      if (row === undefined) throw notFound('Subject access request')
      await audit(app.db, request, events('read', row))
      return await view(app.db, row)
    }
  )

  app.post(
    '/subject-access-requests/:id/extend',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'extendSubjectAccessRequest',
        security: bearer,
        summary: 'Extend the deadline by one or two months, with a reason',
        description:
          '`due_on` becomes `received_on` plus 1 + the months extended in all; three months at most (beyond: 422). The requester must be told why.',
        params: IdParams,
        body: ExtendSubjectAccessRequestSchema,
        response: { 200: SubjectAccessRequestSchema, ...problems(404, 409, 422) }
      }
    },
    async (request) => {
      const row = await app.db.transaction().execute(async (trx) => {
        const changed = await service.extendRequest(trx, request.caller, request.params.id, request.body)
        await audit(trx, request, events('update', changed))
        return changed
      })
      return await view(app.db, row)
    }
  )

  app.post(
    '/subject-access-requests/:id/complete',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'completeSubjectAccessRequest',
        security: bearer,
        summary: 'Record that the response was sent',
        params: IdParams,
        body: CompleteSubjectAccessRequestSchema,
        response: { 200: SubjectAccessRequestSchema, ...problems(404, 409) }
      }
    },
    async (request) => {
      const row = await app.db.transaction().execute(async (trx) => {
        const changed = await service.completeRequest(trx, request.caller, request.params.id, request.body, today())
        await audit(trx, request, events('status_change', changed))
        return changed
      })
      return await view(app.db, row)
    }
  )

  app.get(
    '/subject-access-requests/:id/export',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['data-protection'],
        operationId: 'exportSubjectAccessRequest',
        security: bearer,
        summary: 'Everything held about the subject, as one JSON document',
        description:
          "Every record held about the subject, the notifications about them, and their access log; other people's personal data redacted (see `redactions`). One access event (`export`) is written per record in it, in the same transaction as the reads.",
        params: IdParams,
        response: { 200: SubjectAccessExportSchema, ...problems(404) }
      }
    },
    async (request) => {
      const org = request.caller.org as string
      const who = accessorOf(request)
      return await app.db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          const row = await repo.findRequest(trx, org, request.params.id)
          if (row === undefined) throw notFound('Subject access request')
          const organisation = await findOrganisation(trx, org)
          const out = await buildExport(trx, row, { id: org, name: organisation?.name ?? '' })
          await recordEvents(trx, who, 'export', out.records)
          return out.document
        })
    }
  )
}
