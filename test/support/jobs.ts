import type { FastifyInstance } from 'fastify'
import { auth } from './tokens.js'

/** Requests a run through the API and waits until it has finished; returns the finished run. */
export async function runJob(app: FastifyInstance, adminToken: string, name: string, asOf?: string): Promise<any> {
  const res = await app.inject({
    method: 'POST',
    url: `/v1/jobs/${name}/runs`,
    headers: auth(adminToken),
    payload: asOf === undefined ? {} : { as_of: asOf }
  })
  if (res.statusCode !== 202) throw new Error(`run ${name}: ${res.statusCode} ${res.body}`)
  return await waitForRun(app, adminToken, res.json().id)
}

export async function waitForRun(app: FastifyInstance, adminToken: string, id: string, ms = 20_000): Promise<any> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    const got = await app.inject({ method: 'GET', url: `/v1/jobs/runs/${id}`, headers: auth(adminToken) })
    const run = got.json()
    if (run.status === 'succeeded' || run.status === 'failed') return run
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`run ${id} did not finish`)
}
