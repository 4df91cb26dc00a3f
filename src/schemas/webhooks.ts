import { Type, type Static } from 'typebox'
import { Instant, ListQueryFields, Nullable, Page, ShortText, Uuid } from './common.js'

/** The events an endpoint can subscribe to (`webhook.ping` is sent on request, to one endpoint). */
export const SUBSCRIBABLE_EVENTS = [
  'referral.created',
  'referral.status_changed',
  'match.created',
  'match.status_changed',
  'evaluation.completed',
  'mentor.clearance_changed'
] as const
export const EVENT_TYPES = [...SUBSCRIBABLE_EVENTS, 'webhook.ping'] as const
export type EventType = (typeof EVENT_TYPES)[number]

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'exhausted'] as const

const SubscribableEvent = Type.Enum([...SUBSCRIBABLE_EVENTS], {
  description: 'An event type an endpoint can subscribe to'
})
const Events = Type.Array(SubscribableEvent, { minItems: 1, maxItems: SUBSCRIBABLE_EVENTS.length, uniqueItems: true })
const Url = Type.String({
  minLength: 1,
  maxLength: 2000,
  description:
    '`https://` outside development; may not resolve to a loopback, private or link-local address unless `WEBHOOK_ALLOW_PRIVATE=true`'
})
const Secret = Type.String({
  pattern: '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$',
  description: 'A Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 random bytes'
})

export const WebhookSchema = Type.Object({
  id: Uuid,
  url: Type.String(),
  events: Type.Array(SubscribableEvent),
  description: Nullable(Type.String()),
  enabled: Type.Boolean(),
  disabled_reason: Nullable(
    Type.Enum(['requested', 'gone', 'failing'], {
      description: '`requested` by a client, `gone` after a 410 answer, `failing` after five days of failed deliveries'
    })
  ),
  failing_since: Nullable(
    Type.String({
      format: 'date-time',
      description: 'The first failure of the current unbroken run of failed deliveries'
    })
  ),
  previous_secret_expires_at: Nullable(
    Type.String({ format: 'date-time', description: 'Until then the secret replaced by the last rotation signs too' })
  ),
  created_at: Instant,
  updated_at: Instant
})
export type Webhook = Static<typeof WebhookSchema>

export const WebhookWithSecretSchema = Type.Object({
  ...WebhookSchema.properties,
  secret: Type.String({ description: 'The signing secret (`whsec_…`), shown only in this answer' })
})
export type WebhookWithSecret = Static<typeof WebhookWithSecretSchema>

export const CreateWebhookSchema = Type.Object(
  {
    url: Url,
    events: Events,
    description: Type.Optional(ShortText(500)),
    enabled: Type.Optional(Type.Boolean({ description: 'Default true' }))
  },
  { additionalProperties: false }
)
export type CreateWebhook = Static<typeof CreateWebhookSchema>

export const UpdateWebhookSchema = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    description: Type.Optional(Type.Union([ShortText(500), Type.Null()])),
    enabled: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false, minProperties: 1 }
)
export type UpdateWebhook = Static<typeof UpdateWebhookSchema>

export const RotateSecretSchema = Type.Object(
  {
    secret: Type.Optional(Secret)
  },
  { additionalProperties: false, description: 'The new secret, or none for one made by the service' }
)

export const WebhookPageSchema = Page(WebhookSchema)

export const DeliverySchema = Type.Object({
  id: Uuid,
  event_id: Type.String({ format: 'uuid', description: 'The `webhook-id` of every attempt' }),
  event_type: Type.Enum([...EVENT_TYPES]),
  attempt: Type.Integer({ description: 'Attempts made' }),
  status: Type.Enum([...DELIVERY_STATUSES], {
    description: '`failed` with `next_attempt_at` set is waiting for its retry'
  }),
  response_status: Nullable(Type.Integer()),
  duration_ms: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  next_attempt_at: Nullable(Type.String({ format: 'date-time' })),
  created_at: Instant,
  updated_at: Instant
})
export type Delivery = Static<typeof DeliverySchema>

export const DeliveryPageSchema = Page(DeliverySchema)

export const ListDeliveriesQuerySchema = Type.Object(
  {
    ...ListQueryFields,
    status: Type.Optional(Type.Enum([...DELIVERY_STATUSES]))
  },
  { additionalProperties: false }
)

export const ListWebhooksQuerySchema = Type.Object({ ...ListQueryFields }, { additionalProperties: false })

export const DeliveryParams = Type.Object({ id: Uuid, delivery_id: Uuid }, { additionalProperties: false })
