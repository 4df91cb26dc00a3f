import type { FastifyInstance, FastifySchema } from 'fastify'
import type { Transaction } from 'kysely'
import type { Executor } from '../db/database.js'
import type { DB } from '../db/types.js'
import type { AuditResourceType } from '../audit/audit.repository.js'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type Static, type TObject } from 'typebox'
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
import { wire } from '../lib/wire.js'
import type { Caller, Role } from '../auth/roles.js'
import * as vetting from './vetting.repository.js'
import * as repo from './mentors.repository.js'
import { mentorForVetting, scopeFor } from './mentors.service.js'
import { announceClearance } from './clearance.js'
import { audit, mentorRecord } from '../audit/accessor.js'
import { jsonOf } from '../db/json.js'

const READERS: readonly Role[] = ['coordinator', 'mentor']
const WRITERS: Role[] = ['coordinator']
const List = <T extends TObject>(item: T) => Type.Object({ data: Type.Array(item) })

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

/**
 * One kind of vetting record: its path under `/mentors/:id`, its schemas, the checks a new one must pass
 * (against today), how it is written and read, and its OpenAPI wording.
 */
interface RecordKind<C extends TObject, R extends TObject> {
  path: string
  resource: AuditResourceType
  create: C
  record: R
  operationIds: { create: string; list: string }
  summaries: { create: string; list: string }
  description?: string
  check: (body: Static<C>, today: string, errors: FieldError[]) => void
  insert: (trx: Transaction<DB>, mentorId: string, body: Static<C>, caller: Caller) => Promise<Identified<R>>
  list: (db: Executor, mentorId: string) => Promise<Array<Identified<R>>>
}

/** A record as the API shows it; every record has an id (its access event names it). */
type Identified<R extends TObject> = Static<R> & { id: string }

const kind = <C extends TObject, R extends TObject>(k: RecordKind<C, R>): RecordKind<C, R> => k

const interviews = kind({
  path: 'interviews',
  resource: 'interview',
  create: CreateInterviewSchema,
  record: InterviewSchema,
  operationIds: { create: 'createMentorInterview', list: 'listMentorInterviews' },
  summaries: { create: 'Record an interview', list: 'Interviews, oldest first' },
  check: (b, today, errors) => notAfter(errors, 'body/held_on', b.held_on, today),
  insert: async (trx, mentorId, b, caller) =>
    wire(
      await vetting.insertInterview(trx, {
        mentor_id: mentorId,
        held_on: b.held_on,
        interviewer: b.interviewer,
        outcome: b.outcome,
        notes: b.notes ?? null,
        recorded_by: caller.sub
      })
    ),
  list: async (db, mentorId) => (await vetting.listInterviews(db, mentorId)).map(wire)
})

const references = kind({
  path: 'references',
  resource: 'reference',
  create: CreateReferenceSchema,
  record: ReferenceSchema,
  operationIds: { create: 'createMentorReference', list: 'listMentorReferences' },
  summaries: {
    create: 'Record a reference (requested, and when received whether satisfactory)',
    list: 'References, oldest first'
  },
  check: (b, today, errors) => {
    notAfter(errors, 'body/requested_on', b.requested_on, today)
    notAfter(errors, 'body/received_on', b.received_on, today)
    if (b.received_on !== undefined && b.received_on < b.requested_on)
      errors.push({ path: 'body/received_on', message: 'must not be before requested_on' })
    if (b.satisfactory !== undefined && b.received_on === undefined)
      errors.push({
        path: 'body/satisfactory',
        message: 'needs received_on: a reference not yet received cannot be judged'
      })
  },
  insert: async (trx, mentorId, b, caller) =>
    wire(
      await vetting.insertReference(trx, {
        mentor_id: mentorId,
        referee_name: b.referee_name,
        relationship: b.relationship,
        requested_on: b.requested_on,
        received_on: b.received_on ?? null,
        satisfactory: b.satisfactory ?? null,
        recorded_by: caller.sub
      })
    ),
  list: async (db, mentorId) => (await vetting.listReferences(db, mentorId)).map(wire)
})

const trainings = kind({
  path: 'trainings',
  resource: 'training',
  create: CreateTrainingSchema,
  record: TrainingSchema,
  operationIds: { create: 'createMentorTraining', list: 'listMentorTrainings' },
  summaries: {
    create:
      "Record a training: initial (hours count towards the programme's initial_training_hours), safeguarding (valid for the programme's safeguarding_training_valid_months) or other",
    list: 'Trainings, oldest first'
  },
  check: (b, today, errors) => notAfter(errors, 'body/completed_on', b.completed_on, today),
  insert: async (trx, mentorId, b, caller) =>
    wire(
      await vetting.insertTraining(trx, {
        mentor_id: mentorId,
        kind: b.kind,
        title: b.title ?? null,
        completed_on: b.completed_on,
        hours: b.hours,
        provider: b.provider,
        recorded_by: caller.sub
      })
    ),
  list: async (db, mentorId) => (await vetting.listTrainings(db, mentorId)).map(wire)
})

const dbsChecks = kind({
  path: 'dbs-checks',
  resource: 'dbs_check',
  create: CreateDbsCheckSchema,
  record: DbsCheckSchema,
  operationIds: { create: 'createMentorDbsCheck', list: 'listMentorDbsChecks' },
  summaries: {
    create: 'Record a DBS check (metadata only, never the certificate content)',
    list: 'DBS checks with their Update Service status checks, oldest first'
  },
  description:
    "Counts towards compliance when enhanced with the children's barred list, for the child workforce, and either clear or with a recorded coordinator risk decision that the disclosure is acceptable.",
  check: (b, today, errors) => {
    notAfter(errors, 'body/issued_on', b.issued_on, today)
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
      notAfter(errors, 'body/risk_decision/decided_on', b.risk_decision.decided_on, today)
      if (b.risk_decision.decided_on < b.issued_on)
        errors.push({ path: 'body/risk_decision/decided_on', message: 'must not be before issued_on' })
    }
    const checks = b.status_checks ?? []
    if (checks.length > 0 && !subscribed)
      errors.push({ path: 'body/status_checks', message: 'needs update_service_subscribed: true' })
    checks.forEach((c, i) => {
      notAfter(errors, `body/status_checks/${i}/checked_on`, c.checked_on, today)
      if (c.checked_on < b.issued_on)
        errors.push({ path: `body/status_checks/${i}/checked_on`, message: 'must not be before issued_on' })
    })
  },
  insert: async (trx, mentorId, b, caller) => {
    const row = await vetting.insertDbsCheck(trx, {
      mentor_id: mentorId,
      level: b.level,
      workforce: b.workforce,
      certificate_number: b.certificate_number,
      issued_on: b.issued_on,
      update_service_subscribed: b.update_service_subscribed === true,
      update_service_subscription_id: b.update_service_subscription_id ?? null,
      outcome: b.outcome,
      risk_decision: b.risk_decision === undefined ? null : jsonOf({ ...b.risk_decision, decided_by: caller.sub }),
      renewal_in_progress: b.renewal_in_progress === true,
      recorded_by: caller.sub
    })
    const statusChecks = await vetting.insertStatusChecks(
      trx,
      (b.status_checks ?? []).map((c) => ({
        dbs_check_id: row.id,
        checked_on: c.checked_on,
        result: c.result,
        recorded_by: caller.sub
      }))
    )
    return { ...wire(row), status_checks: statusChecks.map(wire) }
  },
  list: async (db, mentorId) => {
    const rows = await vetting.listDbsChecks(db, mentorId)
    const checks = await vetting.listStatusChecks(
      db,
      rows.map((r) => r.id)
    )
    return rows.map((r) => ({ ...wire(r), status_checks: checks.filter((c) => c.dbs_check_id === r.id).map(wire) }))
  }
})

/** Vetting records: interviews, references, DBS checks (metadata only) and trainings. Append-only. */
export default async function vettingRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const today = (): string => todayIn(app.config.SCHEDULE_TZ)

  /** POST records one of the kind (moving an applicant to vetting); GET lists them with an access event for each. */
  /**
   * Registered on the plain instance: the type provider cannot resolve a schema that is a type
   * parameter, so the route states its params and headers itself and the body is read as `Static<C>`.
   */
  function recordRoutes<C extends TObject, R extends TObject>(k: RecordKind<C, R>): void {
    const create: FastifySchema = {
      tags: ['mentors'],
      operationId: k.operationIds.create,
      security: bearer,
      summary: k.summaries.create,
      ...(k.description === undefined ? {} : { description: k.description }),
      params: IdParams,
      headers: IdempotencyHeaders,
      body: k.create,
      response: { 201: k.record, ...problems(404, 409, 422) }
    }
    const list: FastifySchema = {
      tags: ['mentors'],
      operationId: k.operationIds.list,
      security: bearer,
      summary: k.summaries.list,
      params: IdParams,
      response: { 200: List(k.record), ...problems(404) }
    }
    fastify.post<{ Params: Static<typeof IdParams>; Headers: Static<typeof IdempotencyHeaders> }>(
      `/mentors/:id/${k.path}`,
      { config: { roles: WRITERS }, schema: create },
      async (request, reply) => {
        // Ajv validated the body against `k.create` before the handler runs.
        const body = request.body as Static<C>
        const now = today()
        const errors: FieldError[] = []
        k.check(body, now, errors)
        invalid(errors)
        const result = await runIdempotent(
          app.db,
          request.caller,
          request.headers['idempotency-key'],
          `POST /v1/mentors/:id/${k.path}`,
          { params: request.params, body },
          async (trx) => {
            const mentor = await mentorForVetting(trx, request.caller, request.params.id, now)
            const created = await k.insert(trx, mentor.id, body, request.caller)
            await announceClearance(trx, [mentor.id], now)
            await audit(trx, request, [mentorRecord('create', k.resource, created.id, mentor.id)])
            return { status: 201, body: created }
          }
        )
        return await reply.code(201).send(result.body)
      }
    )

    fastify.get<{ Params: Static<typeof IdParams> }>(
      `/mentors/:id/${k.path}`,
      { config: { roles: READERS }, schema: list },
      async (request) => {
        const mentor = await repo.findMentor(app.db, scopeFor(request.caller), request.params.id)
        if (mentor === undefined) throw notFound('Mentor')
        const rows = await k.list(app.db, mentor.id)
        await audit(
          app.db,
          request,
          rows.map((r) => mentorRecord('read', k.resource, r.id, mentor.id))
        )
        return { data: rows }
      }
    )
  }

  recordRoutes(interviews)
  recordRoutes(references)
  recordRoutes(trainings)
  recordRoutes(dbsChecks)

  app.post(
    '/mentors/:id/dbs-checks/:dbs_id/status-checks',
    {
      config: { roles: WRITERS },
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
      const now = today()
      const row = await runIdempotent(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/mentors/:id/dbs-checks/:dbs_id/status-checks',
        { params: request.params, body: request.body },
        async (trx) => {
          const mentor = await mentorForVetting(trx, request.caller, request.params.id, now)
          const dbs = await vetting.findDbsCheck(trx, mentor.id, request.params.dbs_id)
          if (dbs === undefined) throw notFound('DBS check')
          const errors: FieldError[] = []
          notAfter(errors, 'body/checked_on', b.checked_on, now)
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
          await announceClearance(trx, [mentor.id], now)
          await audit(trx, request, [mentorRecord('update', 'dbs_check', dbs.id, mentor.id)])
          return { status: 201, body: wire(created) }
        }
      )
      return await reply.code(201).send(row.body)
    }
  )
}
