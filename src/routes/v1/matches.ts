import { wire } from '../../lib/wire.js'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { TSchema } from 'typebox'
import { bearer, IdempotencyHeaders, IdParams, IfMatchHeaders, problems } from '../../schemas/common.js'
import {
  ActivateMatchSchema,
  CloseMatchSchema,
  CreateGoalSchema,
  CreateMatchSchema,
  CreateSessionSchema,
  GoalListSchema,
  GoalParams,
  GoalSchema,
  ListMatchesQuerySchema,
  ListSessionsQuerySchema,
  MatchHistorySchema,
  MatchPageSchema,
  MatchSchema,
  PauseMatchSchema,
  ResumeMatchSchema,
  SessionPageSchema,
  SessionSchema,
  UpdateGoalSchema,
  type Match
} from '../../schemas/matches.js'
import { todayIn } from '../../lib/dates.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'
import { runIdempotent } from '../../lib/idempotency.js'
import { notFound } from '../../errors/catalogue.js'
import { createGeocoder } from '../../geo/geocoder.js'
import * as service from '../../matches/matches.service.js'
import * as repo from '../../matches/matches.repository.js'
import * as activity from '../../matches/activity.service.js'
import { listGoals, listSessions } from '../../matches/activity.repository.js'
import { audit, matchRecord } from '../../audit/accessor.js'

export default async function matchRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const today = (): string => todayIn(app.config.SCHEDULE_TZ)
  const geocoder = createGeocoder(app.config.GEOCODER_URL)

  app.post(
    '/matches',
    {
      config: { roles: ['coordinator'] },
      schema: {
        tags: ['matches'],
        operationId: 'createMatch',
        security: bearer,
        summary: 'Match an accepted referral with a mentor (status `proposed` until the introduction)',
        description:
          'Judges every hard rule again (clearance today, a free place, mode, gender preference, independence, distance) with the mentor locked, so two coordinators cannot over-fill a mentor: 409 when the mentor has no free place or the referral is not `accepted`, 422 naming the rules otherwise. The referral becomes `matched`. Honours `Idempotency-Key`.',
        headers: IdempotencyHeaders,
        body: CreateMatchSchema,
        response: { 201: MatchSchema, ...problems(409, 422) }
      }
    },
    async (request, reply) => {
      const created: string[] = []
      const result = await runIdempotent<Match>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/matches',
        request.body,
        async (trx) => {
          const { row, notificationIds } = await service.createMatch(
            { db: trx, geocoder, log: request.log },
            request.caller,
            request.body,
            today()
          )
          await audit(trx, request, [matchRecord('create', 'match', row.id, row)])
          created.push(...notificationIds)
          return { status: 201, body: service.toMatch(row, request.caller, today()) }
        }
      )
      await app.dispatch.notifications(created, request.log)
      if (result.replayed) {
        // The replay sends the match again: a read of the young person's and the mentor's record.
        await audit(app.db, request, [matchRecord('read', 'match', result.body.id, request.body)])
        void reply.header('idempotent-replayed', 'true')
      }
      return await reply.code(201).header('location', `/v1/matches/${result.body.id}`).send(result.body)
    }
  )

  app.get(
    '/matches',
    {
      config: { roles: ['coordinator', 'integration', 'mentor', 'referrer'] },
      schema: {
        tags: ['matches'],
        operationId: 'listMatches',
        security: bearer,
        summary: 'Matches, newest first: a mentor sees its own, a referrer those of its referrals (minimal)',
        querystring: ListMatchesQuerySchema,
        response: { 200: MatchPageSchema, ...problems() }
      }
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query
      const rows = await repo.listMatches(app.db, service.scopeFor(request.caller), filter, decodeCursor(cursor), limit)
      const page = pageOf(rows, limit)
      await audit(
        app.db,
        request,
        page.rows.map((m) => matchRecord('read', 'match', m.id, m))
      )
      const day = today()
      return { data: page.rows.map((r) => service.toMatch(r, request.caller, day)), next_cursor: page.next }
    }
  )

  app.get(
    '/matches/:id',
    {
      config: { roles: ['coordinator', 'integration', 'mentor', 'referrer'] },
      schema: {
        tags: ['matches'],
        operationId: 'getMatch',
        security: bearer,
        summary: 'A match (with an ETag), in the view the caller is entitled to',
        params: IdParams,
        response: { 200: MatchSchema, ...problems(404) }
      }
    },
    async (request, reply) => {
      const row = await repo.findMatch(app.db, service.scopeFor(request.caller), request.params.id)
      if (row === undefined) throw notFound('Match')
      await audit(app.db, request, [matchRecord('read', 'match', row.id, row)])
      return await reply.header('etag', service.etagOf(row)).send(service.toMatch(row, request.caller, today()))
    }
  )

  app.get(
    '/matches/:id/history',
    {
      config: { roles: ['coordinator', 'integration'] },
      schema: {
        tags: ['matches'],
        operationId: 'getMatchHistory',
        security: bearer,
        summary: 'Status changes with who, on which day, and why',
        params: IdParams,
        response: { 200: MatchHistorySchema, ...problems(404) }
      }
    },
    async (request) => {
      const row = await repo.findMatch(app.db, service.scopeFor(request.caller), request.params.id)
      if (row === undefined) throw notFound('Match')
      const history = await repo.listHistory(app.db, row.id)
      await audit(app.db, request, [matchRecord('read', 'match', row.id, row)])
      return { data: history.map(wire) }
    }
  )

  const actions: Array<{ path: service.MatchAction; body: TSchema; operationId: string; summary: string }> = [
    {
      path: 'activate',
      body: ActivateMatchSchema,
      operationId: 'activateMatch',
      summary:
        'Record the introduction meeting and the agreements (young person, mentor, and a parent or carer where the programme needs one); the match starts on `started_on` (default today)'
    },
    {
      path: 'pause',
      body: PauseMatchSchema,
      operationId: 'pauseMatch',
      summary: 'Pause an active match (on `paused_on`, default today)'
    },
    {
      path: 'resume',
      body: ResumeMatchSchema,
      operationId: 'resumeMatch',
      summary: 'Resume a paused match (on `resumed_on`, default today)'
    },
    {
      path: 'close',
      body: CloseMatchSchema,
      operationId: 'closeMatch',
      summary:
        'Close with a reason (on `closed_on`, default today); `rematch` returns the referral to `accepted`, any other reason closes it'
    }
  ]
  const TRANSITION_DESCRIPTION =
    "A change recorded after the event gives the day it happened: not in the future, not before the match's previous status change (an activation: not before the introduction), else 400 naming the field; 409 when a logged session falls after the day a match was paused or closed. Evaluations are scheduled from these days. A close for `rematch` within the programme's first `session_alert_weeks` or with no session logged owes no closure evaluation (`closure_evaluation_waived`, and the history says so)."
  for (const a of actions) {
    app.post(
      `/matches/:id/${a.path}`,
      {
        config: { roles: ['coordinator'] },
        schema: {
          tags: ['matches'],
          operationId: a.operationId,
          summary: a.summary,
          description: TRANSITION_DESCRIPTION,
          security: bearer,
          params: IdParams,
          headers: IfMatchHeaders,
          body: a.body,
          response: { 200: MatchSchema, ...problems(404, 409, 412, 422) }
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
        const day = today()
        const { row } = await app.db.transaction().execute(async (trx) => {
          const changed = await service.transition(
            trx,
            request.caller,
            request.params.id,
            a.path,
            request.body,
            request.headers['if-match'],
            day
          )
          await audit(trx, request, [matchRecord('status_change', 'match', changed.row.id, changed.row)])
          return changed
        })
        return await reply.header('etag', service.etagOf(row)).send(service.toMatch(row, request.caller, day))
      }
    )
  }

  app.post(
    '/matches/:id/sessions',
    {
      config: { roles: ['coordinator', 'mentor'] },
      schema: {
        tags: ['matches'],
        operationId: 'logSession',
        security: bearer,
        summary: 'Log a session (the mentor of the match or a coordinator)',
        description:
          'Held in a public place (school, library, cafe, community venue), never at home; `online` only for virtual or blended programmes (422). `held_on` must not be in the future nor before the match started (400). 409 for a day inside a pause of the match, after the day it closed, or (for its former mentor) on a closed match: a coordinator may still record a session held on or before the closing day.',
        params: IdParams,
        body: CreateSessionSchema,
        response: { 201: SessionSchema, ...problems(404, 409, 422) }
      }
    },
    async (request, reply) => {
      const row = await app.db.transaction().execute(async (trx) => {
        const session = await activity.logSession(trx, request.caller, request.params.id, request.body, today())
        await audit(trx, request, [
          matchRecord('create', 'session', session.id, await activity.matchFor(trx, request.caller, request.params.id))
        ])
        return session
      })
      return await reply.code(201).send(activity.toSession(row))
    }
  )

  app.get(
    '/matches/:id/sessions',
    {
      config: { roles: ['coordinator', 'mentor'] },
      schema: {
        tags: ['matches'],
        operationId: 'listSessions',
        security: bearer,
        summary: 'Sessions of a match, most recently logged first',
        params: IdParams,
        querystring: ListSessionsQuerySchema,
        response: { 200: SessionPageSchema, ...problems(404) }
      }
    },
    async (request) => {
      const match = await activity.matchFor(app.db, request.caller, request.params.id)
      const rows = await listSessions(app.db, match.id, decodeCursor(request.query.cursor), request.query.limit)
      const page = pageOf(rows, request.query.limit)
      await audit(
        app.db,
        request,
        page.rows.map((r) => matchRecord('read', 'session', r.id, match))
      )
      return { data: page.rows.map(activity.toSession), next_cursor: page.next }
    }
  )

  app.post(
    '/matches/:id/goals',
    {
      config: { roles: ['coordinator', 'mentor'] },
      schema: {
        tags: ['matches'],
        operationId: 'createGoal',
        security: bearer,
        summary: 'Agree a goal (mentoring programmes only: 422 for befriending and Independent Visitor ones)',
        params: IdParams,
        body: CreateGoalSchema,
        response: { 201: GoalSchema, ...problems(404, 409, 422) }
      }
    },
    async (request, reply) => {
      const row = await app.db.transaction().execute(async (trx) => {
        const goal = await activity.addGoal(trx, request.caller, request.params.id, request.body)
        await audit(trx, request, [
          matchRecord('create', 'goal', goal.id, await activity.matchFor(trx, request.caller, request.params.id))
        ])
        return goal
      })
      return await reply.code(201).header('etag', activity.goalEtag(row)).send(activity.toGoal(row))
    }
  )

  app.get(
    '/matches/:id/goals',
    {
      config: { roles: ['coordinator', 'mentor'] },
      schema: {
        tags: ['matches'],
        operationId: 'listGoals',
        security: bearer,
        summary: 'Goals of a match with their progress',
        params: IdParams,
        response: { 200: GoalListSchema, ...problems(404, 422) }
      }
    },
    async (request) => {
      const match = await activity.matchFor(app.db, request.caller, request.params.id)
      activity.assertGoalsAllowed(match.programme_kind)
      const goals = await listGoals(app.db, match.id)
      await audit(
        app.db,
        request,
        goals.map((g) => matchRecord('read', 'goal', g.id, match))
      )
      return { data: goals.map(activity.toGoal) }
    }
  )

  app.patch(
    '/matches/:id/goals/:goal_id',
    {
      config: { roles: ['coordinator', 'mentor'] },
      schema: {
        tags: ['matches'],
        operationId: 'updateGoal',
        security: bearer,
        summary: 'Record progress on a goal; each change is kept in `progress_notes`. Honours `If-Match`',
        params: GoalParams,
        headers: IfMatchHeaders,
        body: UpdateGoalSchema,
        response: { 200: GoalSchema, ...problems(404, 412, 422) }
      }
    },
    async (request, reply) => {
      const row = await app.db.transaction().execute(async (trx) => {
        const goal = await activity.updateGoal(
          trx,
          request.caller,
          request.params.id,
          request.params.goal_id,
          request.body,
          request.headers['if-match'],
          today()
        )
        await audit(trx, request, [
          matchRecord('update', 'goal', goal.id, await activity.matchFor(trx, request.caller, request.params.id))
        ])
        return goal
      })
      return await reply.header('etag', activity.goalEtag(row)).send(activity.toGoal(row))
    }
  )
}
