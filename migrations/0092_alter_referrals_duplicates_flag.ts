import { sql, type Kysely } from 'kysely'

/**
 * Whether a referral has any possible duplicate recorded, kept with the referral so a coordinator's
 * read of one without any (nearly all) costs no look-up of pairs.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('referrals')
    .addColumn('has_possible_duplicates', 'boolean', (c) => c.notNull().defaultTo(sql`false`))
    .execute()
  await sql`update referrals r set has_possible_duplicates = true
    where exists (select 1 from referral_duplicates d where d.referral_id = r.id or d.duplicate_id = r.id)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('referrals').dropColumn('has_possible_duplicates').execute()
}
