import type { FastifyInstance } from 'fastify'
import { auth } from './tokens.js'

/** Sends a request as the token's holder and returns the JSON answer; throws unless it has the expected status. */
export async function send(
  app: FastifyInstance,
  token: string,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  payload: unknown,
  expected: number,
  headers: Record<string, string> = {}
): Promise<any> {
  const res = await app.inject({
    method,
    url,
    headers: { ...auth(token), ...headers },
    ...(payload !== undefined ? { payload: payload as any } : {})
  })
  if (res.statusCode !== expected) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return res.json()
}

export async function post(
  app: FastifyInstance,
  token: string,
  url: string,
  payload: unknown,
  expected = 201,
  headers: Record<string, string> = {}
): Promise<any> {
  return await send(app, token, 'POST', url, payload, expected, headers)
}
