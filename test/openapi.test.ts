import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildOpenApiDocument, serialiseOpenApi } from '../src/openapi.js'
import { build } from './support/set-up.js'

const committedPath = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'openapi', 'openapi.json')
const METHODS = ['get', 'post', 'put', 'patch', 'delete']

interface Operation {
  operationId?: string
  tags?: string[]
  security?: unknown[]
  responses?: Record<string, unknown>
}

t.test('the committed OpenAPI document is current', async (t) => {
  const generated = serialiseOpenApi(await buildOpenApiDocument())
  t.equal(serialiseOpenApi(await buildOpenApiDocument()), generated, 'two builds give the same bytes')
  const committed = await readFile(committedPath, 'utf8').catch(() => '')
  t.ok(committed === generated, 'openapi/openapi.json is stale or missing: run `npm run openapi` and commit the result')
})

t.test('every operation is fully described', async (t) => {
  const doc = (await buildOpenApiDocument()) as { openapi: string; paths: Record<string, Record<string, Operation>> }
  t.equal(doc.openapi, '3.1.0')
  const ids = new Set<string>()
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method]
      if (op === undefined) continue
      const name = `${method.toUpperCase()} ${path}`
      t.ok(typeof op.operationId === 'string' && op.operationId.length > 0, `${name} has an operationId`)
      t.notOk(ids.has(op.operationId as string), `${name} operationId is unique`)
      ids.add(op.operationId as string)
      t.ok(Array.isArray(op.tags) && op.tags.length > 0, `${name} has tags`)
      t.ok(Array.isArray(op.security), `${name} states its security (or [] for none)`)
      const codes = Object.keys(op.responses ?? {})
      t.ok(
        codes.some((c) => c.startsWith('2')),
        `${name} declares a 2xx response`
      )
      if (path.startsWith('/v1/')) {
        t.ok(
          codes.some((c) => c.startsWith('4')),
          `${name} declares 4xx responses`
        )
        t.ok(codes.includes('401'), `${name} declares 401`)
        t.ok(codes.includes('400'), `${name} declares 400`)
        t.same(op.security, [{ bearerAuth: [] }], `${name} needs a bearer token`)
        const problem = (op.responses?.['401'] as { content?: Record<string, unknown> } | undefined)?.content
        t.ok(problem?.['application/problem+json'] !== undefined, `${name} errors are application/problem+json`)
      } else {
        // Probes answer without a token and are never refused for input: 2xx or 503 only.
        t.same(op.security, [], `${name} is public`)
      }
    }
  }
  t.ok(ids.size > 0)
})

t.test('docs are served', async (t) => {
  const { app } = await build(t)
  const ui = await app.inject({ method: 'GET', url: '/docs' })
  const uiPage = ui.statusCode === 302 ? await app.inject({ method: 'GET', url: ui.headers.location as string }) : ui
  t.equal(uiPage.statusCode, 200)
  t.match(uiPage.headers['content-type'], /^text\/html/)
  t.match(uiPage.body, /swagger/i)
  const spec = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(spec.statusCode, 200)
  t.match(spec.headers['content-type'], /^application\/json/)
  t.equal(spec.json().info.title, 'Waymark API')
  t.ok(spec.json().paths['/v1/referrals'])
})
