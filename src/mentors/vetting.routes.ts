import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Database } from '../db/database.js'
import type { AuditResourceType } from '../audit/audit.repository.js'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  CreateDbsCheckSchema,
  CreateInterviewSchema,
  CreateReferenceSchema,
  CreateStatusCheckSchema,
  CreateTrainingSchema,
  DbsCheckSchema,
  InterviewSchema,
  ReferenceSchema,
  StatusCheckSchema,
  TrainingSchema,
  VettingParams
} from '../schemas/mentors.js'
import { bearer, IdempotencyHeaders, IdParams, problems } from '../schemas/common.js'
import { runIdempotent } from '../lib/idempotency.js'
import { AppError, notFound, type FieldError } from '../errors/catalogue.js'
import { todayIn } from '../lib/dates.js'
import type { Role } from '../auth/roles.js'
import * as vetting from './vetting.repository.js'
import * as repo from './mentors.repository.js'
import { mentorForVetting, scopeFor } from './mentors.service.js'
import { announceClearance } from './clearance.js'
import { audit, mentorRecord } from '../audit/accessor.js'

const READERS: readonly Role[] = ['coordinator', 'mentor']
const List = <T extends Parameters<typeof Type.Array>[0]>(item: T) => Type.Object({ data: Type.Array(item) })

function invalid(errors: FieldError[]): void {
  if (errors.length > 0)
    throw new AppError('validation_failed', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors })
}

function notAfter(
  errors: FieldError[],
  path: string,
  value: string | undefined,
  limit: string,
  message = 'must not be in the future'
): void {
  if (value !== undefined && value > limit) errors.push({ path, message })
}

/** Vetting records: interviews, references, DBS checks (metadata only) and trainings. Append-only. */
export default async function vettingRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const today = (): string => todayIn(app.config.SCHEDULE_TZ)

  async function visibleMentor(caller: Parameters<typeof scopeFor>[0], id: string): Promise<string> {
    const row = await repo.findMentor(app.db, scopeFor(caller), id)
    if (row === undefined) throw notFound('Mentor')
    return row.id
  }

  /** A mentor's vetting records of one kind, with an access event for each. */
  async function readRecords<R extends { id: string }>(
    request: FastifyRequest,
    id: string,
    kind: AuditResourceType,
    list: (db: Database, mentorId: string) => Promise<R[]>
  ): Promise<R[]> {
    const mentorId = await visibleMentor(request.caller, id)
    const rows = await list(app.db, mentorId)
    await audit(
      app.db,
      request,
      rows.map((r) => mentorRecord('read', kind, r.id, mentorId))
    )
    return rows
  }

  const post = { roles: ['coordinator'] as Role[] }

  app.post(
    '/mentors/:id/interviews',
    {
      config: post,
      schema: {
        tags: ['mentors'],
        operationId: 'createMentorInterview',
        security: bearer,
        summary: 'Record an interview',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: CreateInterviewSchema,
        response: { 201: InterviewSchema, ...problems(404, 409, 422) }
      }
    },
    async (request, reply) => {
      const b = request.body
      const errors: FieldError[] = []
      notAfter(errors, 'body/held_on', b.held_on, today())
      invalid(errors)
      const row = await runIdempotent<any>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/mentors/:id/interviews',
        { params: request.params, body: request.body },
        async (trx) => {
          const mentor = await mentorForVetting(trx, request.caller, request.params.id)
          const created = await vetting.insertInterview(trx, {
            mentor_id: mentor.id,
            held_on: b.held_on,
            interviewer: b.interviewer,
            outcome: b.outcome,
            notes: b.notes ?? null,
            recorded_by: request.caller.sub
          })
          await announceClearance(trx, [mentor.id], today())
          await audit(trx, request, [mentorRecord('create', 'interview', created.id, mentor.id)])
          return { status: 201, body: created }
        }
      )
      return await reply.code(201).send(row.body)
    }
  )

  app.get(
    '/mentors/:id/interviews',
    {
      config: { roles: READERS },
      schema: {
        tags: ['mentors'],
        operationId: 'listMentorInterviews',
        security: bearer,
        summary: 'Interviews, oldest first',
        params: IdParams,
        response: { 200: List(InterviewSchema), ...problems(404) }
      }
    },
    async (request) => ({
      data: (await readRecords(request, request.params.id, 'interview', vetting.listInterviews)) as any[]
    })
  )

  app.post(
    '/mentors/:id/references',
    {
      config: post,
      schema: {
        tags: ['mentors'],
        operationId: 'createMentorReference',
        security: bearer,
        summary: 'Record a reference (requested, and when received whether satisfactory)',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: CreateReferenceSchema,
        response: { 201: ReferenceSchema, ...problems(404, 409, 422) }
      }
    },
    async (request, reply) => {
      const b = request.body
      const errors: FieldError[] = []
      notAfter(errors, 'body/requested_on', b.requested_on, today())
      notAfter(errors, 'body/received_on', b.received_on, today())
      if (b.received_on !== undefined && b.received_on < b.requested_on)
        errors.push({ path: 'body/received_on', message: 'must not be before requested_on' })
      if (b.satisfactory !== undefined && b.received_on === undefined)
        errors.push({
          path: 'body/satisfactory',
          message: 'needs received_on: a reference not yet received cannot be judged'
        })
      invalid(errors)
      const row = await runIdempotent<any>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/mentors/:id/references',
        { params: request.params, body: request.body },
        async (trx) => {
          const mentor = await mentorForVetting(trx, request.caller, request.params.id)
          const created = await vetting.insertReference(trx, {
            mentor_id: mentor.id,
            referee_name: b.referee_name,
            relationship: b.relationship,
            requested_on: b.requested_on,
            received_on: b.received_on ?? null,
            satisfactory: b.satisfactory ?? null,
            recorded_by: request.caller.sub
          })
          await announceClearance(trx, [mentor.id], today())
          await audit(trx, request, [mentorRecord('create', 'reference', created.id, mentor.id)])
          return { status: 201, body: created }
        }
      )
      return await reply.code(201).send(row.body)
    }
  )

  app.get(
    '/mentors/:id/references',
    {
      config: { roles: READERS },
      schema: {
        tags: ['mentors'],
        operationId: 'listMentorReferences',
        security: bearer,
        summary: 'References, oldest first',
        params: IdParams,
        response: { 200: List(ReferenceSchema), ...problems(404) }
      }
    },
    async (request) => ({
      data: (await readRecords(request, request.params.id, 'reference', vetting.listReferences)) as any[]
    })
  )

  app.post(
    '/mentors/:id/trainings',
    {
      config: post,
      schema: {
        tags: ['mentors'],
        operationId: 'createMentorTraining',
        security: bearer,
        summary:
          "Record a training: initial (hours count towards the programme's initial_training_hours), safeguarding (valid for the programme's safeguarding_training_valid_months) or other",
        params: IdParams,
        headers: IdempotencyHeaders,
        body: CreateTrainingSchema,
        response: { 201: TrainingSchema, ...problems(404, 409, 422) }
      }
    },
    async (request, reply) => {
      const b = request.body
      const errors: FieldError[] = []
      notAfter(errors, 'body/completed_on', b.completed_on, today())
      invalid(errors)
      const row = await runIdempotent<any>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/mentors/:id/trainings',
        { params: request.params, body: request.body },
        async (trx) => {
          const mentor = await mentorForVetting(trx, request.caller, request.params.id)
          const created = await vetting.insertTraining(trx, {
            mentor_id: mentor.id,
            kind: b.kind,
            title: b.title ?? null,
            completed_on: b.completed_on,
            hours: b.hours,
            provider: b.provider,
            recorded_by: request.caller.sub
          })
          await announceClearance(trx, [mentor.id], today())
          await audit(trx, request, [mentorRecord('create', 'training', created.id, mentor.id)])
          return { status: 201, body: created }
        }
      )
      return await reply.code(201).send(row.body)
    }
  )

  app.get(
    '/mentors/:id/trainings',
    {
      config: { roles: READERS },
      schema: {
        tags: ['mentors'],
        operationId: 'listMentorTrainings',
        security: bearer,
        summary: 'Trainings, oldest first',
        params: IdParams,
        response: { 200: List(TrainingSchema), ...problems(404) }
      }
    },
    async (request) => ({
      data: (await readRecords(request, request.params.id, 'training', vetting.listTrainings)) as any[]
    })
  )

  app.post(
    '/mentors/:id/dbs-checks',
    {
      config: post,
      schema: {
        tags: ['mentors'],
        operationId: 'createMentorDbsCheck',
        security: bearer,
        summary: 'Record a DBS check (metadata only, never the certificate content)',
        description:
          "Counts towards compliance when enhanced with the children's barred list, for the child workforce, and either clear or with a recorded coordinator risk decision that the disclosure is acceptable.",
        params: IdParams,
        headers: IdempotencyHeaders,
        body: CreateDbsCheckSchema,
        response: { 201: DbsCheckSchema, ...problems(404, 409, 422) }
      }
    },
    async (request, reply) => {
      const b = request.body
      const now = today()
      const errors: FieldError[] = []
      notAfter(errors, 'body/issued_on', b.issued_on, now)
      const subscribed = b.update_service_subscribed === true
      if (subscribed && b.update_service_subscription_id === undefined)
        errors.push({
          path: 'body/update_service_subscription_id',
          message: 'is required when update_service_subscribed is true'
        })
      if (!subscribed && b.update_service_subscription_id !== undefined)
        errors.push({ path: 'body/update_service_subscription_id', message: 'needs update_service_subscribed: true' })
      if (b.risk_decision !== undefined && b.outcome !== 'information_disclosed')
        errors.push({ path: 'body/risk_decision', message: 'is recorded only when information was disclosed' })
      if (b.risk_decision !== undefined) {
        notAfter(errors, 'body/risk_decision/decided_on', b.risk_decision.decided_on, now)
        if (b.risk_decision.decided_on < b.issued_on)
          errors.push({ path: 'body/risk_decision/decided_on', message: 'must not be before issued_on' })
      }
      const checks = b.status_checks ?? []
      if (checks.length > 0 && !subscribed)
        errors.push({ path: 'body/status_checks', message: 'needs update_service_subscribed: true' })
      checks.forEach((c, i) => {
        notAfter(errors, `body/status_checks/${i}/checked_on`, c.checked_on, now)
        if (c.checked_on < b.issued_on)
          errors.push({ path: `body/status_checks/${i}/checked_on`, message: 'must not be before issued_on' })
      })
      invalid(errors)
      const result = await runIdempotent<any>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/mentors/:id/dbs-checks',
        { params: request.params, body: request.body },
        async (trx) => {
          const mentor = await mentorForVetting(trx, request.caller, request.params.id)
          const row = await vetting.insertDbsCheck(trx, {
            mentor_id: mentor.id,
            level: b.level,
            workforce: b.workforce,
            certificate_number: b.certificate_number,
            issued_on: b.issued_on,
            update_service_subscribed: subscribed,
            update_service_subscription_id: b.update_service_subscription_id ?? null,
            outcome: b.outcome,
            risk_decision:
              b.risk_decision === undefined
                ? null
                : JSON.stringify({ ...b.risk_decision, decided_by: request.caller.sub }),
            renewal_in_progress: b.renewal_in_progress === true,
            recorded_by: request.caller.sub
          })
          const statusChecks = await vetting.insertStatusChecks(
            trx,
            checks.map((c) => ({
              dbs_check_id: row.id,
              checked_on: c.checked_on,
              result: c.result,
              recorded_by: request.caller.sub
            }))
          )
          await announceClearance(trx, [mentor.id], now)
          await audit(trx, request, [mentorRecord('create', 'dbs_check', row.id, mentor.id)])
          return { status: 201, body: { ...row, status_checks: statusChecks } }
        }
      )
      return await reply.code(201).send(result.body)
    }
  )

  app.get(
    '/mentors/:id/dbs-checks',
    {
      config: { roles: READERS },
      schema: {
        tags: ['mentors'],
        operationId: 'listMentorDbsChecks',
        security: bearer,
        summary: 'DBS checks with their Update Service status checks, oldest first',
        params: IdParams,
        response: { 200: List(DbsCheckSchema), ...problems(404) }
      }
    },
    async (request) => {
      const rows = await readRecords(request, request.params.id, 'dbs_check', vetting.listDbsChecks)
      const checks = await vetting.listStatusChecks(
        app.db,
        rows.map((r) => r.id)
      )
      return {
        data: rows.map((r) => ({ ...r, status_checks: checks.filter((c) => c.dbs_check_id === r.id) })) as any[]
      }
    }
  )

  app.post(
    '/mentors/:id/dbs-checks/:dbs_id/status-checks',
    {
      config: post,
      schema: {
        tags: ['mentors'],
        operationId: 'createMentorDbsStatusCheck',
        security: bearer,
        summary: 'Record an Update Service status check of a DBS certificate',
        description:
          '`changed` means the certificate no longer reflects the mentor: the check stops counting and a new one is needed.',
        params: VettingParams,
        headers: IdempotencyHeaders,
        body: CreateStatusCheckSchema,
        response: { 201: StatusCheckSchema, ...problems(404, 409, 422) }
      }
    },
    async (request, reply) => {
      const b = request.body
      const row = await runIdempotent<any>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/mentors/:id/dbs-checks/:dbs_id/status-checks',
        { params: request.params, body: request.body },
        async (trx) => {
          const mentor = await mentorForVetting(trx, request.caller, request.params.id)
          const dbs = await vetting.findDbsCheck(trx, mentor.id, request.params.dbs_id)
          if (dbs === undefined) throw notFound('DBS check')
          const errors: FieldError[] = []
          notAfter(errors, 'body/checked_on', b.checked_on, today())
          if (b.checked_on < dbs.issued_on)
            errors.push({ path: 'body/checked_on', message: 'must not be before the certificate was issued' })
          invalid(errors)
          if (!dbs.update_service_subscribed) {
            throw new AppError('rule_refused', 'The certificate is not on the DBS Update Service', {
              reasons: [
                {
                  code: 'not_on_update_service',
                  message: 'Only a certificate on the Update Service can be status-checked'
                }
              ]
            })
          }
          const [created] = await vetting.insertStatusChecks(trx, [
            { dbs_check_id: dbs.id, checked_on: b.checked_on, result: b.result, recorded_by: request.caller.sub }
          ])
          await announceClearance(trx, [mentor.id], today())
          await audit(trx, request, [mentorRecord('update', 'dbs_check', dbs.id, mentor.id)])
          return { status: 201, body: created }
        }
      )
      return await reply.code(201).send(row.body)
    }
  )
}
