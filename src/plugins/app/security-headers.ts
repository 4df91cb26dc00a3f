import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * Helmet's headers, worked out once at start-up. The policy is the same for every response (no
 * nonces, no per-request directives), so the headers are a constant: asking helmet for them on each
 * request (as `@fastify/helmet` does) parsed the policy again every time, about a tenth of a GET's
 * CPU (`npm run bench:audit`).
 */
export function helmetHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const req = new IncomingMessage(new Socket())
  const res = new ServerResponse(req)
  helmet(options)(req, res, (err?: unknown) => {
    if (err !== undefined && err !== null) throw err instanceof Error ? err : new Error(String(err))
  })
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(res.getHeaders()))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value)
  return headers
}

/** Sets the security headers on every response, as the first thing done with a request. */
export default fp(
  async function securityHeadersPlugin(app: FastifyInstance, options: { helmet: HelmetOptions }) {
    const headers = helmetHeaders(options.helmet)
    app.addHook('onRequest', (_request, reply, done) => {
      void reply.headers(headers)
      done()
    })
  },
  { name: 'security-headers' }
)
