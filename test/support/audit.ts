import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Database } from '../../src/db/database.js'
import { auth } from './tokens.js'

export type CallWithEvents = (
  token: string,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  payload?: unknown,
  headers?: Record<string, string>
) => Promise<{ res: LightMyRequestResponse; events: any[] }>

/**
 * A sender of requests, each with a request id of its own (`<prefix>-<n>`), that returns the answer and
 * the access events the request wrote (by resource type, then resource id).
 */
export function callWithEvents(app: FastifyInstance, db: Database, prefix: string): CallWithEvents {
  let n = 0
  return async (token, method, url, payload, headers = {}) => {
    const requestId = `${prefix}-${++n}`
    const res = await app.inject({
      method,
      url,
      headers: { ...auth(token), 'x-request-id': requestId, ...headers },
      ...(payload !== undefined ? { payload: payload as any } : {})
    })
    const events = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('request_id', '=', requestId)
      .orderBy('resource_type')
      .orderBy('resource_id')
      .execute()
    return { res, events }
  }
}
