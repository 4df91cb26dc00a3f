import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import {
  addMissingChecksums,
  checksumOf,
  frozenProblems,
  migrationFiles,
  readChecksums
} from '../../scripts/migrations-checksum.js'

t.test('every committed migration is as it was committed', async (t) => {
  t.ok(migrationFiles().length >= 15)
  t.same(frozenProblems(), [], 'each migration file matches its sha256 in migrations/checksums.json')
})

t.test('a changed migration, a new one without a checksum and a removed one are each named', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'waymark-migrations-'))
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  writeFileSync(path.join(dir, '0001_create_things.ts'), 'export async function up (): Promise<void> {}\n')
  writeFileSync(path.join(dir, '0002_create_others.ts'), 'export async function up (): Promise<void> {}\n')
  t.same(addMissingChecksums(dir), ['0001_create_things.ts', '0002_create_others.ts'])
  t.same(frozenProblems(dir), [])

  writeFileSync(
    path.join(dir, '0001_create_things.ts'),
    'export async function up (): Promise<void> { /* and an index */ }\n'
  )
  writeFileSync(path.join(dir, '0003_create_more.ts'), 'export async function up (): Promise<void> {}\n')
  rmSync(path.join(dir, '0002_create_others.ts'))
  const problems = frozenProblems(dir)
  t.equal(problems.length, 3, problems.join('\n'))
  t.match(
    problems.find((p) => p.startsWith('0001_create_things.ts')),
    /changed after it was committed.*new migration/
  )
  t.match(
    problems.find((p) => p.startsWith('0003_create_more.ts')),
    /no checksum: run `npm run migrations:checksum`/
  )
  t.match(
    problems.find((p) => p.startsWith('0002_create_others.ts')),
    /never removed or renamed/
  )

  // The script adds the new migration's checksum and leaves every entry already there as it was.
  const before = readChecksums(dir)
  t.same(addMissingChecksums(dir), ['0003_create_more.ts'])
  const after = readChecksums(dir)
  t.equal(
    after['0001_create_things.ts'],
    before['0001_create_things.ts'],
    'the changed migration keeps its first checksum'
  )
  t.not(after['0001_create_things.ts'], checksumOf('0001_create_things.ts', dir))
  t.equal(after['0002_create_others.ts'], before['0002_create_others.ts'])
  t.equal(after['0003_create_more.ts'], checksumOf('0003_create_more.ts', dir))
  t.same(Object.keys(after), ['0001_create_things.ts', '0002_create_others.ts', '0003_create_more.ts'])
  t.equal(frozenProblems(dir).length, 2, 'the change and the removal are still reported')
  t.same(addMissingChecksums(dir), [], 'nothing to add a second time')
  t.match(readFileSync(path.join(dir, 'checksums.json'), 'utf8'), /\n$/)
})
