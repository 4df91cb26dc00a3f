import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { bearer, Instant, ListQueryFields, Page, problems, Uuid, Nullable } from '../../schemas/common.js'
import { listNotifications } from '../../notifications/notifications.repository.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'


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
  created_at: Instant,
  updated_at: Instant
})

const ListQuery = Type.Object({
  ...ListQueryFields,
  status: Type.Optional(Type.Enum(['pending', 'sent', 'failed'])),
  kind: Type.Optional(Type.String({ pattern: '^[a-z_]{1,60}$' })),
  subject_id: Type.Optional(Uuid)
}, { additionalProperties: false })

export default async function notificationRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/notifications', {
    config: { roles: ['coordinator', 'admin'] },
    schema: {
      tags: ['notifications'], operationId: 'listNotifications', security: bearer,
      summary: 'Every message the service sent or tried to, with status and attempts',
      querystring: ListQuery,
      response: { 200: Page(NotificationSchema), ...problems() }
    }
  }, async (request) => {
    const { limit, cursor, ...filter } = request.query
    const rows = await listNotifications(app.db, request.caller.org as string, filter, decodeCursor(cursor), limit)
    const page = pageOf(rows, limit)
    return { data: page.rows as any[], next_cursor: page.next }
  })
}
