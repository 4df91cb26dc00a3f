import { sql, type Kysely } from 'kysely'

/**
 * A match closed for a rematch before the relationship took hold owes no closure evaluation: the
 * decision is taken when it closes and kept with the match, so later schedule runs respect it.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('matches')
    .addColumn('closure_evaluation_waived', 'boolean', (c) => c.notNull().defaultTo(sql`false`))
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('matches').dropColumn('closure_evaluation_waived').execute()
}
