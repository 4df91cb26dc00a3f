import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { bearer, IdParams, Instant, ListQueryFields, Page, problems, Uuid, Nullable } from '../../schemas/common.js'
import { findNotification, listNotifications, markForRetry } from '../../notifications/notifications.repository.js'
import { URGENT_KINDS } from '../../jobs/dispatch.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'
import { AppError, notFound } from '../../errors/catalogue.js'
import { audit } from '../../audit/accessor.js'
import { wire } from '../../lib/wire.js'

const NotificationSchema = Type.Object({
  id: Uuid,
  kind: Type.String(),
  channel: Type.String(),
  recipient: Type.String(),
  subject: Type.String(),
  status: Type.Enum(['pending', 'sent', 'failed']),
  attempts: Type.Integer(),
  last_error: Nullable(Type.String()),
  provider: Nullable(Type.String()),
  subject_type: Nullable(Type.String()),
  subject_id: Nullable(Uuid),
  sent_at: Nullable(Instant),
  retried_at: Nullable(Instant),
  retried_by: Nullable(Type.String({ description: 'The admin who sent it again after it failed' })),
  created_at: Instant,
  updated_at: Instant
})

const ListQuery = Type.Object(
  {
    ...ListQueryFields,
    status: Type.Optional(Type.Enum(['pending', 'sent', 'failed'])),
    kind: Type.Optional(Type.String({ pattern: '^[a-z_]{1,60}$' })),
    subject_id: Type.Optional(Uuid)
  },
  { additionalProperties: false }
)

export default async function notificationRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get(
    '/notifications',
    {
      config: { roles: ['coordinator', 'admin'] },
      schema: {
        tags: ['notifications'],
        operationId: 'listNotifications',
        security: bearer,
        summary: 'Every message the service sent or tried to, with status and attempts',
        querystring: ListQuery,
        response: { 200: Page(NotificationSchema), ...problems() }
      }
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query
      const rows = await listNotifications(app.db, request.caller.org as string, filter, decodeCursor(cursor), limit)
      const page = pageOf(rows, limit)
      // A message names its recipient and is about a young person or a mentor: one event per such row returned.
      await audit(
        app.db,
        request,
        page.rows
          .filter((r) => r.about_referral_id !== null || r.about_mentor_id !== null)
          .map((r) => ({
            action: 'read' as const,
            resourceType: 'notification' as const,
            resourceId: r.id,
            referralId: r.about_referral_id,
            mentorId: r.about_mentor_id
          }))
      )
      return { data: page.rows.map(wire), next_cursor: page.next }
    }
  )

  app.post(
    '/notifications/:id/retry',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['notifications'],
        operationId: 'retryNotification',
        security: bearer,
        summary: 'Send a failed message again, once',
        description:
          'A message whose sending failed (a permanent refusal, or every attempt spent) is queued again with fresh attempts. Allowed once per message; a message that is not `failed`, or was retried already, is a 409.',
        params: IdParams,
        response: { 202: NotificationSchema, ...problems(404, 409) }
      }
    },
    async (request, reply) => {
      const org = request.caller.org as string
      const id = request.params.id
      const row = await markForRetry(app.db, org, id, request.caller.sub)
      if (row === undefined) {
        const current = await findNotification(app.db, org, id)
        if (current === undefined) throw notFound('Notification')
        const reason =
          current.status !== 'failed'
            ? { code: 'not_failed', message: `Only a failed message can be sent again; this one is ${current.status}` }
            : { code: 'already_retried', message: 'This message was sent again once already' }
        throw new AppError('invalid_transition', reason.message, { reasons: [reason] })
      }
      // BullMQ keeps a failed job's id for days: the retry needs one of its own (BullMQ allows a custom
      // id with a colon only in three parts).
      await app.dispatch.notifications([row.id], request.log, {
        urgent: URGENT_KINDS.has(row.kind),
        jobIdSuffix: ':retry:1'
      })
      return await reply.code(202).send(wire(row))
    }
  )
}
