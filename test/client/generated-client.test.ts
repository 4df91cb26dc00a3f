import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import t from 'tap'
import ts from 'typescript'
import openapiTS, { astToString } from 'openapi-typescript'
import { buildOpenApiDocument } from '../../src/openapi.js'
import { setUp } from '../support/set-up.js'
import { makeMatch } from '../support/matches.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const PROGRAM = path.join(HERE, 'program.ts')
const GENERATED = path.join(HERE, 'api.generated.ts')

t.test('a client generated from the document compiles and runs', async (t) => {
  // openapi-typescript with its default settings, as an integrator runs it.
  const doc = await buildOpenApiDocument()
  let mark = Date.now()
  await writeFile(GENERATED, astToString(await openapiTS(doc as any)))
  t.comment(`types generated in ${Date.now() - mark} ms`)

  const source = await readFile(PROGRAM, 'utf8')
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
  t.notMatch(code, /\bas\s+(?!const\b)[A-Za-z{[(]/, 'no casts')
  t.notMatch(code, /\bany\b/, 'no any')
  t.notMatch(code, /!\./, 'no non-null assertions')

  const program = ts.createProgram([PROGRAM], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: ['node']
  })
  mark = Date.now()
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  t.comment(`program type-checked in ${Date.now() - mark} ms`)
  t.same(diagnostics, [], 'the program compiles against the generated types')

  const {
    app,
    tenant,
    tokens: { admin, coordinator, referrer }
  } = await setUp(t)
  const matchProgramme = await tenant.programme()
  const { matchId } = await makeMatch(app, coordinator, matchProgramme)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')

  // Loaded by its URL: the repository's type check leaves the program to this test (its types are generated here).
  const { run } = await import(pathToFileURL(PROGRAM).href)
  const outcome = await run(`http://127.0.0.1:${address.port}`, { admin, coordinator, referrer }, matchId)
  t.match(outcome.reference, new RegExp(`^${tenant.code}-\\d{4}-\\d{5}$`))
  t.ok(outcome.listed.includes(outcome.referralId), 'listed without limit')
  t.equal(outcome.nextCursor, null)
  t.equal(outcome.matchStatus, 'active')
  const rules = (
    await app.inject({
      method: 'GET',
      url: `/v1/programmes/${outcome.programmeId}`,
      headers: { authorization: `Bearer ${admin}` }
    })
  ).json().rules
  t.same([rules.eligibility.min_age, rules.eligibility.max_age, rules.consent.parental], [15, 19, 'never'])
  t.equal(typeof rules.duration_months, 'number', 'the rules not given take their defaults')
})
