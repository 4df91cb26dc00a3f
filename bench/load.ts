/**
 * The load generator, run as its own process so it never shares an event loop with a server.
 * Reads a JSON job from the file named by argv[2] and prints one JSON result line.
 */
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

export interface Job {
  url: string
  connections: number
  duration: number
  headers: Record<string, string>
  /** GET: paths picked at random for each request. */
  paths?: string[]
  /** POST: one body sent to `path`; each 201's reference is recorded with its time. */
  post?: { path: string; body: string }
}

const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Job
const acks: Array<[string, number]> = []
let bad = 0
/** POST: how many answers of each status other than 201, and the first body of each. */
const badStatuses: Record<string, number> = {}
const badBodies: Record<string, string> = {}

const requests: autocannon.Request[] =
  job.post !== undefined
    ? [
        {
          method: 'POST',
          path: job.post.path,
          headers: { ...job.headers, 'content-type': 'application/json' },
          body: job.post.body,
          onResponse: (status: number, body: string) => {
            if (status !== 201) {
              bad += 1
              badStatuses[status] = (badStatuses[status] ?? 0) + 1
              badBodies[status] ??= body.slice(0, 500)
              return
            }
            acks.push([(JSON.parse(body) as { reference: string }).reference, Date.now()])
          }
        } as autocannon.Request
      ]
    : [
        {
          method: 'GET',
          headers: job.headers,
          setupRequest: (req: any) => {
            const paths = job.paths as string[]
            req.path = paths[Math.floor(Math.random() * paths.length)]
            return req
          }
        } as autocannon.Request
      ]

const result = await autocannon({ url: job.url, connections: job.connections, duration: job.duration, requests })
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    bad,
    badStatuses: job.post !== undefined ? badStatuses : undefined,
    badBodies: job.post !== undefined ? badBodies : undefined,
    acks: job.post !== undefined ? acks : undefined
  })}\n`
)
