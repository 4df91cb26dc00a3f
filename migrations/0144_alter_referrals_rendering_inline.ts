import { sql, type Kysely } from 'kysely'

/**
 * A referral's row is kept whole in its heap page, uncompressed, up to PostgreSQL's largest tuple
 * target (8160 bytes), rather than squeezed to 2 KB. A referral with its rendering (0143) is about
 * 3 KB: at the default target the rendering was compressed (pglz, 1.6 KB to 1.1 KB) and, the row
 * still too wide, moved to the TOAST table, so every read of a referral looked it up in the TOAST
 * index, fetched it and decompressed it: a sixth of the database's time for a list page of fifty.
 * Kept inline, the page's read alone runs at twice the rate (`npm run bench:audit`; the issue note).
 *
 * A row over the target is still compressed and moved out of line, as before. Rows stored before
 * this migration keep their compressed rendering until their next change; they read the same.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table referrals set (toast_tuple_target = 8160)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`alter table referrals reset (toast_tuple_target)`.execute(db)
}
