import type { Executor } from '../db/database.js'
import { recordEvent } from './webhooks.repository.js'
import type { EventType } from '../schemas/webhooks.js'

/**
 * What an event says: ids, the reference, statuses, the programme, and clearance. Never a person's
 * details: the receiver reads the record through the API, where the read is scoped and audited.
 */
export interface EventData {
  id: string
  reference?: string
  status?: string
  previous_status?: string
  programme_id?: string
  referral_id?: string
  match_id?: string
  cleared?: boolean
}

export function payloadOf(type: EventType, data: EventData, at: Date = new Date()): string {
  return JSON.stringify({ type, timestamp: at.toISOString(), data })
}

/**
 * Records a webhook event in the transaction of the change that causes it: it is delivered once that
 * commits, and never if it rolls back.
 */
export async function emitEvent(
  trx: Executor,
  org: string,
  type: Exclude<EventType, 'webhook.ping'>,
  data: EventData
): Promise<void> {
  await recordEvent(trx, org, type, payloadOf(type, data))
}
