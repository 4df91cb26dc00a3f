import { sql, type Kysely } from 'kysely'

/**
 * Lists page by (created_at, id) and their cursors carry created_at as clients see it, to the millisecond.
 * PostgreSQL keeps microseconds, so rows created within one millisecond could be skipped between pages.
 * From here on created_at defaults to the millisecond, and existing values are truncated, on every table
 * that has one at this point. Later tables declare the same default themselves.
 */
export async function up (db: Kysely<any>): Promise<void> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.columns
    where table_schema = current_schema() and column_name = 'created_at' and data_type = 'timestamp with time zone'
    order by table_name`.execute(db)
  for (const { table_name: table } of tables.rows) {
    await sql`alter table ${sql.id(table)} alter column created_at set default date_trunc('milliseconds', now())`.execute(db)
    await sql`update ${sql.id(table)} set created_at = date_trunc('milliseconds', created_at) where created_at <> date_trunc('milliseconds', created_at)`.execute(db)
  }
}

export async function down (db: Kysely<any>): Promise<void> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.columns
    where table_schema = current_schema() and column_name = 'created_at' and data_type = 'timestamp with time zone'`.execute(db)
  for (const { table_name: table } of tables.rows) {
    await sql`alter table ${sql.id(table)} alter column created_at set default now()`.execute(db)
  }
}
