import { wire } from '../../lib/wire.js'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { TSchema } from 'typebox'
import {
  AcceptReferralSchema,
  CreateReferralSchema,
  DeclineReferralSchema,
  HistorySchema,
  ListReferralsQuerySchema,
  LinkReferralSchema,
  ProvideInformationSchema,
  ReferralPageSchema,
  ReferralRef,
  RequestInformationSchema,
  StartReviewSchema,
  UpdateReferralSchema,
  WithdrawReferralSchema,
  type Referral
} from '../../schemas/referrals.js'
import { bearer, IdempotencyHeaders, IdParams, IfMatchHeaders, problems } from '../../schemas/common.js'
import * as service from '../../referrals/referrals.service.js'
import * as repo from '../../referrals/referrals.repository.js'
import { caseworkFor, linkReferrals, seesCasework } from '../../referrals/links.service.js'
import { runIdempotent } from '../../lib/idempotency.js'
import { decodeCursor, pageOf, renderedPage } from '../../lib/cursor.js'
import { todayIn } from '../../lib/dates.js'
import { notFound } from '../../errors/catalogue.js'
import type { Role } from '../../auth/roles.js'
import { accessorOf } from '../../audit/accessor.js'
import { recordAccess } from '../../audit/audit.repository.js'

const READERS = ['coordinator', 'admin', 'integration', 'referrer'] as const

export default async function referralRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const today = (): string => todayIn(app.config.SCHEDULE_TZ)

  app.post(
    '/referrals',
    {
      config: { roles: ['referrer', 'coordinator', 'integration'] },
      schema: {
        tags: ['referrals'],
        operationId: 'createReferral',
        security: bearer,
        summary: 'Submit a referral',
        description:
          'Screens the referral against the programme rules: 422 with every reason when a hard rule refuses it, 409 when a quota is reached, otherwise 201 with `screening.outcome` `eligible` or `needs_review`. The referrer receives an acknowledgement quoting the reference. Earlier referrals of the organisation that may be of the same young person are flagged in `possible_duplicates`, shown to coordinators and admins only. Honours `Idempotency-Key`.',
        headers: IdempotencyHeaders,
        body: CreateReferralSchema,
        response: { 201: ReferralRef, ...problems(409, 422) }
      }
    },
    async (request, reply) => {
      const created: string[] = []
      const who = accessorOf(request)
      const result = await runIdempotent<Referral>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/referrals',
        request.body,
        async (trx) => {
          const { row, notificationIds } = await service.createReferral(trx, request.caller, request.body, today())
          await recordAccess(trx, who, [
            { action: 'create', resourceType: 'referral', resourceId: row.id, referralId: row.id }
          ])
          created.push(...notificationIds)
          return { status: 201, body: service.toReferral(row, await caseworkFor(trx, request.caller, row.id)) }
        }
      )
      await app.dispatch.notifications(created, request.log)
      if (result.replayed) {
        // The replay sends the child's record again: a read, written before it is answered.
        await recordAccess(app.db, who, [
          { action: 'read', resourceType: 'referral', resourceId: result.body.id, referralId: result.body.id }
        ])
        void reply.header('idempotent-replayed', 'true')
      }
      return await reply
        .code(result.status as 201)
        .header('location', `/v1/referrals/${result.body.id}`)
        .send(result.body)
    }
  )

  app.get(
    '/referrals',
    {
      config: { roles: READERS },
      schema: {
        tags: ['referrals'],
        operationId: 'listReferrals',
        security: bearer,
        summary: 'List referrals, newest first (a referrer sees only its own)',
        querystring: ListReferralsQuerySchema,
        response: { 200: ReferralPageSchema, ...problems() }
      }
    },
    async (request, reply) => {
      const { limit, cursor, ...filter } = request.query
      const rows = await repo.listReferrals(
        app.db,
        accessorOf(request),
        service.scopeFor(request.caller),
        filter,
        decodeCursor(cursor),
        limit,
        app.config.SCHEDULE_TZ
      )
      const page = pageOf(rows, limit)
      // Rendered by PostgreSQL to the response schema (see REFERRAL_JSON): a string with a JSON type is sent as it is.
      return await reply.type('application/json; charset=utf-8').send(renderedPage(page.rows, page.next) as never)
    }
  )

  app.get(
    '/referrals/:id',
    {
      config: { roles: READERS },
      schema: {
        tags: ['referrals'],
        operationId: 'getReferral',
        security: bearer,
        summary: 'A referral (with an ETag)',
        description:
          'Coordinators and admins also see `possible_duplicates` (other referrals that may be of the same young person) and `linked_referral_ids`.',
        params: IdParams,
        response: { 200: ReferralRef, ...problems(404) }
      }
    },
    async (request, reply) => {
      const row = await repo.renderReferral(
        app.db,
        accessorOf(request),
        service.scopeFor(request.caller),
        request.params.id,
        seesCasework(request.caller)
      )
      if (row === undefined) throw notFound('Referral')
      // Rendered by PostgreSQL to the response schema (see REFERRAL_JSON): a string with a JSON type is sent as it is.
      return await reply
        .header('etag', service.etagOf(row))
        .type('application/json; charset=utf-8')
        .send(row.body as never)
    }
  )

  app.patch(
    '/referrals/:id',
    {
      config: { roles: ['referrer', 'coordinator'] },
      schema: {
        tags: ['referrals'],
        operationId: 'updateReferral',
        security: bearer,
        summary: 'Update a referral; screening runs again',
        description:
          'A referrer may update its own referral while it is submitted, acknowledged or information_requested; a coordinator until it is final. Honours `If-Match` (412 when stale).',
        params: IdParams,
        headers: IfMatchHeaders,
        body: UpdateReferralSchema,
        response: { 200: ReferralRef, ...problems(404, 409, 412, 422) }
      }
    },
    async (request, reply) => {
      // The event goes first in the change's transaction: a change refused or failing takes it back.
      const row = await app.db.transaction().execute(async (trx) => {
        await recordAccess(trx, accessorOf(request), [
          { action: 'update', resourceType: 'referral', resourceId: request.params.id, referralId: request.params.id }
        ])
        return await service.updateReferral(
          trx,
          request.caller,
          request.params.id,
          request.body,
          request.headers['if-match'],
          today()
        )
      })
      return await reply
        .header('etag', service.etagOf(row))
        .send(service.toReferral(row, await caseworkFor(app.db, request.caller, row.id)))
    }
  )

  app.post(
    '/referrals/:id/link',
    {
      config: { roles: ['coordinator', 'admin'] },
      schema: {
        tags: ['referrals'],
        operationId: 'linkReferral',
        security: bearer,
        summary: 'Link two referrals as one young person',
        description:
          'For a possible duplicate a coordinator has judged to be the same young person (a school and a social worker referring the same child). Nothing is merged: each referral stays as it is, and both (with any referral either was linked with) list each other in `linked_referral_ids`; matching allows one open match among them. Linking referrals already linked changes nothing. 422 `unknown_reference` when `referral_id` is not a referral of the organisation.',
        params: IdParams,
        body: LinkReferralSchema,
        response: { 200: ReferralRef, ...problems(404, 422) }
      }
    },
    async (request, reply) => {
      const { id } = request.params
      const other = request.body.referral_id
      // Both referrals change; their events are written once the link is made (both then known to be the organisation's).
      await app.db.transaction().execute(async (trx) => {
        await linkReferrals(trx, request.caller, id, other)
        await recordAccess(trx, accessorOf(request), [
          { action: 'update', resourceType: 'referral', resourceId: id, referralId: id },
          { action: 'update', resourceType: 'referral', resourceId: other, referralId: other }
        ])
      })
      const row = await repo.renderReferral(app.db, accessorOf(request), service.scopeFor(request.caller), id, true)
      if (row === undefined) throw notFound('Referral')
      return await reply
        .header('etag', service.etagOf(row))
        .type('application/json; charset=utf-8')
        .send(row.body as never)
    }
  )

  app.get(
    '/referrals/:id/history',
    {
      config: { roles: READERS },
      schema: {
        tags: ['referrals'],
        operationId: 'getReferralHistory',
        security: bearer,
        summary: 'Status changes with who, when and why',
        params: IdParams,
        response: { 200: HistorySchema, ...problems(404) }
      }
    },
    async (request) => {
      const row = await repo.findReferral(app.db, service.scopeFor(request.caller), request.params.id)
      if (row === undefined) throw notFound('Referral')
      const history = await repo.listHistory(app.db, row.id)
      // Committed before anything is answered: a read nobody recorded is never sent.
      await recordAccess(app.db, accessorOf(request), [
        { action: 'read', resourceType: 'referral', resourceId: row.id, referralId: row.id }
      ])
      return { data: history.map(wire) }
    }
  )

  const actions: Array<{
    path: string
    action: service.Action
    roles: readonly Role[]
    body: TSchema
    operationId: string
    summary: string
  }> = [
    {
      path: 'start-review',
      action: 'start_review',
      roles: ['coordinator'],
      body: StartReviewSchema,
      operationId: 'startReferralReview',
      summary: 'A coordinator starts reviewing the referral'
    },
    {
      path: 'request-information',
      action: 'request_information',
      roles: ['coordinator'],
      body: RequestInformationSchema,
      operationId: 'requestReferralInformation',
      summary: 'Ask the referrer questions; the referrer is notified'
    },
    {
      path: 'provide-information',
      action: 'provide_information',
      roles: ['referrer', 'coordinator'],
      body: ProvideInformationSchema,
      operationId: 'provideReferralInformation',
      summary: 'Answer the questions; back to under_review'
    },
    {
      path: 'accept',
      action: 'accept',
      roles: ['coordinator'],
      body: AcceptReferralSchema,
      operationId: 'acceptReferral',
      summary: 'Accept: the young person waits for a match. `funded_place` lets it past a quota'
    },
    {
      path: 'decline',
      action: 'decline',
      roles: ['coordinator'],
      body: DeclineReferralSchema,
      operationId: 'declineReferral',
      summary: 'Decline with a reason; final; the referrer is notified'
    },
    {
      path: 'withdraw',
      action: 'withdraw',
      roles: ['referrer', 'coordinator'],
      body: WithdrawReferralSchema,
      operationId: 'withdrawReferral',
      summary: 'Withdraw the referral'
    }
  ]

  for (const a of actions) {
    app.post(
      `/referrals/:id/${a.path}`,
      {
        config: { roles: a.roles },
        schema: {
          tags: ['referrals'],
          operationId: a.operationId,
          summary: a.summary,
          security: bearer,
          params: IdParams,
          headers: IfMatchHeaders,
          body: a.body,
          response: { 200: ReferralRef, ...problems(404, 409, 412) }
        }
      },
      async (
        request: FastifyRequest<{
          Params: { id: string }
          Body: service.TransitionInput
          Headers: { 'if-match'?: string }
        }>,
        reply
      ) => {
        const { row, notificationIds } = await app.db.transaction().execute(async (trx) => {
          await recordAccess(trx, accessorOf(request), [
            {
              action: 'status_change',
              resourceType: 'referral',
              resourceId: request.params.id,
              referralId: request.params.id
            }
          ])
          return await service.transition(
            trx,
            request.caller,
            request.params.id,
            a.action,
            request.body ?? {},
            request.headers['if-match'],
            a.roles
          )
        })
        await app.dispatch.notifications(notificationIds, request.log)
        return await reply
          .header('etag', service.etagOf(row))
          .send(service.toReferral(row, await caseworkFor(app.db, request.caller, row.id)))
      }
    )
  }
}
