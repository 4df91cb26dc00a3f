import { sql, type Kysely } from 'kysely'

/**
 * Two referrals of one young person (a school and a social worker referring the same child): possible
 * duplicates found at intake, and the links a coordinator makes between them. Nothing is merged: linked
 * referrals share a `young_person_id`, each keeping its own record.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('referrals')
    .addColumn('young_person_id', 'uuid')
    // Given and family name, normalised and in alphabetical order: the same key when they are swapped.
    .addColumn('name_key', 'text')
    .execute()
  await sql`create index referrals_young_person_idx on referrals (young_person_id) where young_person_id is not null`.execute(db)
  // Candidates for a new referral: the latest with its date of birth, and the latest with its name.
  await sql`create index referrals_org_birth_created_idx on referrals (organisation_id, (young_person->>'date_of_birth'), created_at desc)`.execute(db)
  await sql`create index referrals_org_name_created_idx on referrals (organisation_id, name_key, created_at desc) where name_key is not null`.execute(db)

  await db.schema.createTable('referral_duplicates')
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    // One row a pair, the lower id first.
    .addColumn('referral_id', 'uuid', (c) => c.notNull().references('referrals.id').onDelete('cascade'))
    .addColumn('duplicate_id', 'uuid', (c) => c.notNull().references('referrals.id').onDelete('cascade'))
    .addColumn('basis', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`))
    .addPrimaryKeyConstraint('referral_duplicates_pk', ['referral_id', 'duplicate_id'])
    .addCheckConstraint('referral_duplicates_basis_check', sql`basis in ('date_of_birth_and_name', 'name_and_postcode_sector')`)
    .execute()
  await sql`create index referral_duplicates_duplicate_idx on referral_duplicates (duplicate_id)`.execute(db)

  await db.schema.createTable('referral_links')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('referral_id', 'uuid', (c) => c.notNull().references('referrals.id').onDelete('cascade'))
    .addColumn('linked_referral_id', 'uuid', (c) => c.notNull().references('referrals.id').onDelete('cascade'))
    .addColumn('young_person_id', 'uuid', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`))
    .execute()
  await sql`create index referral_links_referral_idx on referral_links (referral_id)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('referral_links').execute()
  await db.schema.dropTable('referral_duplicates').execute()
  await sql`drop index if exists referrals_org_name_created_idx`.execute(db)
  await sql`drop index if exists referrals_org_birth_created_idx`.execute(db)
  await db.schema.alterTable('referrals').dropColumn('name_key').dropColumn('young_person_id').execute()
}
