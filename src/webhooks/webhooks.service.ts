import type { Transaction } from 'kysely'
import type { DB, NewNotification, WebhookEndpointRow } from '../db/types.js'
import type { Executor } from '../db/database.js'
import type { Caller } from '../auth/roles.js'
import type { Config } from '../config/config.js'
import { AppError, invalidTransition, notFound } from '../errors/catalogue.js'
import { checkIfMatch } from '../lib/etag.js'
import type { CreateWebhook, Delivery, UpdateWebhook, Webhook, WebhookWithSecret } from '../schemas/webhooks.js'
import { recipientsWithRole } from '../users/users.repository.js'
import { webhookEndpointDisabled } from '../notifications/templates/webhooks.js'
import { resolvedProblem, urlProblem, type DestinationPolicy } from './destination.js'
import { newSecret } from './signing.js'
import { payloadOf } from './webhook-events.js'
import * as repo from './webhooks.repository.js'

type Trx = Transaction<DB>

/** For this long after a rotation the replaced secret signs too. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000

export function destinationPolicy(config: Pick<Config, 'NODE_ENV' | 'WEBHOOK_ALLOW_PRIVATE'>): DestinationPolicy {
  return { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE, httpsOnly: config.NODE_ENV === 'production' }
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString())

export function toWebhook(row: WebhookEndpointRow, now: Date = new Date()): Webhook {
  const overlap = row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now
  return {
    id: row.id,
    url: row.url,
    events: row.events as Webhook['events'],
    description: row.description,
    enabled: row.enabled,
    disabled_reason: row.disabled_reason as Webhook['disabled_reason'],
    failing_since: iso(row.failing_since),
    previous_secret_expires_at: overlap ? iso(row.previous_secret_expires_at) : null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString()
  }
}

export function toDelivery(row: repo.DeliveryView): Delivery {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type as Delivery['event_type'],
    attempt: row.attempt,
    status: row.status as Delivery['status'],
    response_status: row.response_status,
    duration_ms: row.duration_ms,
    last_error: row.last_error,
    next_attempt_at: iso(row.next_attempt_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString()
  }
}

/** The secrets that sign now: the current one and, within a day of a rotation, the one it replaced. */
export function signingSecrets(endpoint: WebhookEndpointRow, now: Date): string[] {
  const previous =
    endpoint.previous_secret !== null &&
    endpoint.previous_secret_expires_at !== null &&
    endpoint.previous_secret_expires_at > now
  return previous ? [endpoint.secret, endpoint.previous_secret as string] : [endpoint.secret]
}

/**
 * Refuses a URL the service may not send to: 400 when it is not a URL at all, 422 when it is one the
 * rules refuse (not https in production; a host resolving to a loopback, private or link-local
 * address). The same rules are applied again at every delivery.
 */
async function checkDestination(url: string, policy: DestinationPolicy): Promise<void> {
  const problem = urlProblem(url, policy) ?? (await resolvedProblem(url, policy))
  if (problem === null) return
  const errors = [{ path: 'body/url', message: problem }]
  if (problem === 'is not a URL') throw new AppError('validation_failed', `body/url ${problem}`, { errors })
  throw new AppError('rule_refused', `The webhook URL ${problem}`, {
    errors,
    reasons: [{ code: 'webhook_url_refused', message: `The URL ${problem}` }]
  })
}

export async function createEndpoint(
  trx: Trx,
  caller: Caller,
  body: CreateWebhook,
  policy: DestinationPolicy
): Promise<WebhookWithSecret> {
  await checkDestination(body.url, policy)
  const row = await repo.insertEndpoint(trx, {
    organisation_id: caller.org as string,
    url: body.url,
    description: body.description ?? null,
    events: body.events,
    enabled: body.enabled ?? true,
    secret: newSecret(),
    created_by: caller.sub
  })
  return { ...toWebhook(row), secret: row.secret }
}

export async function endpointOf(db: Executor, caller: Caller, id: string): Promise<WebhookEndpointRow> {
  const row = await repo.findEndpoint(db, caller.org as string, id)
  if (row === undefined) throw notFound('Webhook')
  return row
}

async function lockedEndpoint(trx: Trx, caller: Caller, id: string): Promise<WebhookEndpointRow> {
  const row = await repo.lockEndpoint(trx, caller.org as string, id)
  if (row === undefined) throw notFound('Webhook')
  return row
}

export async function updateEndpoint(
  trx: Trx,
  caller: Caller,
  id: string,
  patch: UpdateWebhook,
  ifMatch: string | undefined,
  policy: DestinationPolicy
): Promise<WebhookEndpointRow> {
  const row = await lockedEndpoint(trx, caller, id)
  checkIfMatch(ifMatch, row, 'webhook')
  if (patch.url !== undefined && patch.url !== row.url) await checkDestination(patch.url, policy)
  const set: repo.EndpointChange = {}
  if (patch.url !== undefined) set.url = patch.url
  if (patch.events !== undefined) set.events = patch.events
  if (patch.description !== undefined) set.description = patch.description
  if (patch.enabled === true && !row.enabled)
    Object.assign(set, { enabled: true, disabled_reason: null, failing_since: null })
  if (patch.enabled === false && row.enabled) Object.assign(set, { enabled: false, disabled_reason: 'requested' })
  return await repo.updateEndpoint(trx, row.id, set)
}

/** A new secret (given, or made here); the one it replaces signs too for 24 hours. */
export async function rotateSecret(
  trx: Trx,
  caller: Caller,
  id: string,
  secret: string | undefined
): Promise<WebhookWithSecret> {
  const row = await lockedEndpoint(trx, caller, id)
  if (secret !== undefined && (secret === row.secret || secret === row.previous_secret)) {
    throw new AppError('rule_refused', 'The new secret must differ from the secrets in use', {
      errors: [{ path: 'body/secret', message: 'is a secret this endpoint uses already' }],
      reasons: [{ code: 'secret_reused', message: 'Choose a secret this endpoint has not used' }]
    })
  }
  const updated = await repo.updateEndpoint(trx, row.id, {
    secret: secret ?? newSecret(),
    previous_secret: row.secret,
    previous_secret_expires_at: new Date(Date.now() + ROTATION_OVERLAP_MS)
  })
  return { ...toWebhook(updated), secret: updated.secret }
}

/** A `webhook.ping` event for this endpoint alone, whatever it subscribes to, delivered now. */
export async function ping(trx: Trx, caller: Caller, id: string): Promise<Delivery> {
  const row = await lockedEndpoint(trx, caller, id)
  return toDelivery(
    await repo.recordEventFor(
      trx,
      row.organisation_id,
      row.id,
      'webhook.ping',
      payloadOf('webhook.ping', { id: row.id })
    )
  )
}

/** Delivers an event again now, as a new attempt (the same `webhook-id`). */
export async function redeliver(trx: Trx, caller: Caller, id: string, deliveryId: string): Promise<Delivery> {
  const row = await lockedEndpoint(trx, caller, id)
  const delivery = await repo.findDelivery(trx, row.id, deliveryId)
  if (delivery === undefined) throw notFound('Delivery')
  if (!row.enabled && delivery.event_type !== 'webhook.ping') {
    throw new AppError('invalid_transition', 'The endpoint is disabled; enable it before redelivering', {
      reasons: [{ code: 'webhook_disabled', message: 'A disabled endpoint receives nothing; enable it first' }]
    })
  }
  if (delivery.status === 'pending') throw invalidTransition('pending', 'redeliver a delivery not yet attempted')
  return toDelivery((await repo.redeliverNow(trx, row.id, delivery.id)) as repo.DeliveryView)
}

/** The admins' emails about an endpoint the service disabled, as outbox rows (one per admin and run of failures). */
export async function disabledAlerts(
  db: Executor,
  endpoint: WebhookEndpointRow,
  reason: 'gone' | 'failing',
  failingSince: Date | null
): Promise<NewNotification[]> {
  const admins = await recipientsWithRole(db, endpoint.organisation_id, 'admin')
  const message = webhookEndpointDisabled({
    endpointId: endpoint.id,
    host: new URL(endpoint.url).host,
    description: endpoint.description,
    reason,
    failingSince: iso(failingSince)
  })
  const run = iso(failingSince) ?? 'gone'
  return admins.map((a) => ({
    organisation_id: endpoint.organisation_id,
    dedupe_key: `webhook-disabled:${endpoint.id}:${run}:${a.id}`,
    kind: 'webhook_endpoint_disabled',
    recipient: a.email,
    subject: message.subject,
    body: message.body,
    subject_type: 'webhook_endpoint',
    subject_id: endpoint.id
  }))
}
