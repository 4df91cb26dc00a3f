import { SIGN_OFF, type Message } from './message.js'

/**
 * A webhook endpoint the service stopped sending to: its id and host (never its full URL, whose path
 * or query may carry a credential), its description, why, and since when it failed.
 */
export interface EndpointDisabledFacts {
  endpointId: string
  host: string
  description: string | null
  reason: 'failing' | 'gone'
  /** The first failure of the unbroken run (for `failing`), RFC 3339. */
  failingSince: string | null
}

export function webhookEndpointDisabled(f: EndpointDisabledFacts): Message {
  const named = f.description === null ? `at ${f.host}` : `"${f.description}" at ${f.host}`
  const why =
    f.reason === 'gone'
      ? 'It answered 410 Gone, which tells us it no longer wants deliveries.'
      : `Every delivery to it has failed since ${f.failingSince ?? 'more than five days ago'}, for five days or more.`
  return {
    subject: `Webhook endpoint disabled: ${f.host}`,
    body: `Hello,\n\nWaymark has disabled your organisation's webhook endpoint ${named} (id ${f.endpointId}). ${why}\n\nNo more events are sent to it. Once the receiving system is fixed, enable the endpoint again (PATCH /v1/webhooks/${f.endpointId} with "enabled": true); deliveries that failed meanwhile can be sent again from its delivery log.${SIGN_OFF}`
  }
}
