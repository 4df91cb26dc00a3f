import t from 'tap'
import pg from 'pg'
import { createTestDatabase } from '../support/set-up.js'

// Keyset cursors carry created_at to the millisecond; a table storing microseconds would let rows
// created within one millisecond fall between two pages of a list.
t.test('every created_at defaults to the millisecond', async (t) => {
  const url = await createTestDatabase(t)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(async () => {
    await client.end()
  })
  const { rows } = await client.query<{ table_name: string; column_default: string | null }>(`
    select table_name, column_default from information_schema.columns
    where table_schema = current_schema() and column_name = 'created_at' and data_type = 'timestamp with time zone'`)
  t.ok(rows.length >= 5, 'tables found')
  for (const row of rows) {
    t.match(
      row.column_default ?? '',
      /date_trunc\('milliseconds'/,
      `${row.table_name}.created_at defaults to date_trunc('milliseconds', now())`
    )
  }
  const {
    rows: [r]
  } = await client.query<{ at: string }>(`
    insert into organisations (name, code) values ('Precision', 'PRC') returning to_char(created_at, 'US') as at`)
  t.match(r.at, /000$/, 'stored without microseconds')
})
