import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Compilable,
  type CompiledQuery
} from 'kysely'
import type { DB } from './types.js'

/**
 * Named prepared statements for the hot paths. The query is still written with Kysely, compiled once
 * with placeholders; each call only fills in the values. PostgreSQL parses and plans a named
 * statement once per connection, which halves its CPU for a primary-key lookup.
 */

/** Builds and compiles queries without a connection. */
const compiler = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler()
  }
})

/** SQL text of each prepared statement → its name; read by the pool's client (see database.ts). */
const statementNames = new Map<string, string>()

export function statementName(sql: string): string | undefined {
  return statementNames.get(sql)
}

class Placeholder {
  constructor(readonly key: string) {}
}

type Executor = Pick<Kysely<DB>, 'executeQuery'>

export type Prepared<P, R> = (db: Executor, params: P) => Promise<R[]>

/**
 * Compiles `build` once. `p.name` stands for the value of `params.name` at each call; anything else
 * in the query is fixed at compile time. Works on a Kysely instance or inside a transaction.
 */
export function prepare<P extends object, R>(
  name: string,
  build: (db: Kysely<DB>, p: P) => Compilable<R>
): Prepared<P, R> {
  const p = new Proxy({}, { get: (_t, key) => new Placeholder(String(key)) }) as P
  const compiled = build(compiler, p).compile()
  const slots = compiled.parameters.map((v) => (v instanceof Placeholder ? v.key : null))
  const fixed = compiled.parameters
  const existing = statementNames.get(compiled.sql)
  if (existing !== undefined && existing !== name) throw new Error(`Statement ${name} repeats ${existing}`)
  statementNames.set(compiled.sql, name)
  return async (db, params) => {
    const values = new Array<unknown>(slots.length)
    for (let i = 0; i < slots.length; i++) {
      const key = slots[i]
      values[i] = key === null ? fixed[i] : (params as Record<string, unknown>)[key]
    }
    const query: CompiledQuery<R> = {
      query: compiled.query,
      queryId: compiled.queryId,
      sql: compiled.sql,
      parameters: values
    }
    return (await db.executeQuery(query)).rows
  }
}
