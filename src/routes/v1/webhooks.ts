import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  CreateWebhookSchema,
  DeliveryPageSchema,
  DeliveryParams,
  DeliverySchema,
  ListDeliveriesQuerySchema,
  ListWebhooksQuerySchema,
  RotateSecretSchema,
  UpdateWebhookSchema,
  WebhookPageSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
  type WebhookWithSecret
} from '../../schemas/webhooks.js'
import { bearer, IdempotencyHeaders, IdParams, IfMatchHeaders, problems } from '../../schemas/common.js'
import * as service from '../../webhooks/webhooks.service.js'
import * as repo from '../../webhooks/webhooks.repository.js'
import { runIdempotent } from '../../lib/idempotency.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'
import { etagOf } from '../../lib/etag.js'
import { notFound } from '../../errors/catalogue.js'
import type { Role } from '../../auth/roles.js'

const MANAGERS: readonly Role[] = ['admin', 'integration']
const tags = ['webhooks']

/** Webhook endpoints of the caller's organisation (Standard Webhooks 1.0), their deliveries and redelivery. */
export default async function webhookRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const policy = service.destinationPolicy(app.config)

  app.post(
    '/webhooks',
    {
      config: { roles: MANAGERS },
      schema: {
        tags,
        operationId: 'createWebhook',
        security: bearer,
        summary: 'Add a webhook endpoint; the answer carries its secret, shown this once',
        description:
          'The URL must be `https://` in production and may not resolve to a loopback, private or link-local address (422) unless `WEBHOOK_ALLOW_PRIVATE=true`. Honours `Idempotency-Key`: a replay returns the first answer, secret included, while the key is kept (a day).',
        headers: IdempotencyHeaders,
        body: CreateWebhookSchema,
        response: { 201: WebhookWithSecretSchema, ...problems(422) }
      }
    },
    async (request, reply) => {
      const result = await runIdempotent<WebhookWithSecret>(
        app.db,
        request.caller,
        request.headers['idempotency-key'],
        'POST /v1/webhooks',
        request.body,
        async (trx) => ({ status: 201, body: await service.createEndpoint(trx, request.caller, request.body, policy) })
      )
      if (result.replayed) void reply.header('idempotent-replayed', 'true')
      return await reply.code(201).header('location', `/v1/webhooks/${result.body.id}`).send(result.body)
    }
  )

  app.get(
    '/webhooks',
    {
      config: { roles: MANAGERS },
      schema: {
        tags,
        operationId: 'listWebhooks',
        security: bearer,
        summary: "The organisation's webhook endpoints, newest first",
        querystring: ListWebhooksQuerySchema,
        response: { 200: WebhookPageSchema, ...problems() }
      }
    },
    async (request) => {
      const { limit, cursor } = request.query
      const page = pageOf(
        await repo.listEndpoints(app.db, request.caller.org as string, decodeCursor(cursor), limit),
        limit
      )
      return { data: page.rows.map((r) => service.toWebhook(r)), next_cursor: page.next }
    }
  )

  app.get(
    '/webhooks/:id',
    {
      config: { roles: MANAGERS },
      schema: {
        tags,
        operationId: 'getWebhook',
        security: bearer,
        summary: 'A webhook endpoint (with an ETag; never its secret)',
        params: IdParams,
        response: { 200: WebhookSchema, ...problems(404) }
      }
    },
    async (request, reply) => {
      const row = await service.endpointOf(app.db, request.caller, request.params.id)
      return await reply.header('etag', etagOf(row)).send(service.toWebhook(row))
    }
  )

  app.patch(
    '/webhooks/:id',
    {
      config: { roles: MANAGERS },
      schema: {
        tags,
        operationId: 'updateWebhook',
        security: bearer,
        summary: 'Change the URL, the events, the description, or enable or disable the endpoint',
        description:
          'Enabling an endpoint the service disabled starts its failure count afresh. Honours `If-Match` (412 when stale).',
        params: IdParams,
        headers: IfMatchHeaders,
        body: UpdateWebhookSchema,
        response: { 200: WebhookSchema, ...problems(404, 412, 422) }
      }
    },
    async (request, reply) => {
      const row = await app.db
        .transaction()
        .execute(
          async (trx) =>
            await service.updateEndpoint(
              trx,
              request.caller,
              request.params.id,
              request.body,
              request.headers['if-match'],
              policy
            )
        )
      return await reply.header('etag', etagOf(row)).send(service.toWebhook(row))
    }
  )

  app.delete(
    '/webhooks/:id',
    {
      config: { roles: MANAGERS },
      schema: {
        tags,
        operationId: 'deleteWebhook',
        security: bearer,
        summary: 'Remove the endpoint: nothing more is sent to it, even events already queued',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Removed' }), ...problems(404) }
      }
    },
    async (request, reply) => {
      if (!(await repo.deleteEndpoint(app.db, request.caller.org as string, request.params.id)))
        throw notFound('Webhook')
      return await reply.code(204).send(null)
    }
  )

  app.post(
    '/webhooks/:id/rotate-secret',
    {
      config: { roles: MANAGERS },
      schema: {
        tags,
        operationId: 'rotateWebhookSecret',
        security: bearer,
        summary: 'Replace the secret; for 24 hours both sign',
        description:
          "Give `secret` (`whsec_…`) or let the service make one; the answer shows it. Until `previous_secret_expires_at`, `webhook-signature` carries two signatures, the new secret's first.",
        params: IdParams,
        body: RotateSecretSchema,
        response: { 200: WebhookWithSecretSchema, ...problems(404, 422) }
      }
    },
    async (request) =>
      await app.db
        .transaction()
        .execute(
          async (trx) => await service.rotateSecret(trx, request.caller, request.params.id, request.body?.secret)
        )
  )

  app.post(
    '/webhooks/:id/ping',
    {
      config: { roles: MANAGERS },
      schema: {
        tags,
        operationId: 'pingWebhook',
        security: bearer,
        summary: 'Send a webhook.ping event to this endpoint now, whatever its events',
        params: IdParams,
        response: { 202: DeliverySchema, ...problems(404) }
      }
    },
    async (request, reply) => {
      const delivery = await app.db
        .transaction()
        .execute(async (trx) => await service.ping(trx, request.caller, request.params.id))
      return await reply.code(202).send(delivery)
    }
  )

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { roles: MANAGERS },
      schema: {
        tags,
        operationId: 'listWebhookDeliveries',
        security: bearer,
        summary: 'The delivery log: one row per event and endpoint, newest first',
        params: IdParams,
        querystring: ListDeliveriesQuerySchema,
        response: { 200: DeliveryPageSchema, ...problems(404) }
      }
    },
    async (request) => {
      const endpoint = await service.endpointOf(app.db, request.caller, request.params.id)
      const { limit, cursor, status } = request.query
      const page = pageOf(await repo.listDeliveries(app.db, endpoint.id, status, decodeCursor(cursor), limit), limit)
      return { data: page.rows.map(service.toDelivery), next_cursor: page.next }
    }
  )

  app.post(
    '/webhooks/:id/deliveries/:delivery_id/retry',
    {
      config: { roles: MANAGERS },
      schema: {
        tags,
        operationId: 'retryWebhookDelivery',
        security: bearer,
        summary: 'Deliver that event again now (the same webhook-id, freshly signed)',
        params: DeliveryParams,
        response: { 202: DeliverySchema, ...problems(404, 409) }
      }
    },
    async (request, reply) => {
      const delivery = await app.db
        .transaction()
        .execute(
          async (trx) => await service.redeliver(trx, request.caller, request.params.id, request.params.delivery_id)
        )
      return await reply.code(202).send(delivery)
    }
  )
}
