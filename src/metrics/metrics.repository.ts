import { sql } from 'kysely'
import type { Executor } from '../db/database.js'

export interface OutboxFigures {
  /** Messages recorded and not yet sent or given up on. */
  backlog: number
  /** Seconds since the oldest of them was recorded; 0 when there is none. */
  oldest_age_seconds: number
  /** Messages given up on (a permanent refusal, or every attempt spent), all time. */
  failed: number
  /** Messages recorded in the last 24 hours, by status. */
  recent: Record<'pending' | 'sent' | 'failed', number>
}

/** The outbox at a glance. Each count reads a partial or time index, never the whole table. */
export async function outboxFigures(db: Executor): Promise<OutboxFigures> {
  const [pending, failed, recent] = await Promise.all([
    sql<{ backlog: number; oldest: number | null }>`
      select count(*)::int as backlog, extract(epoch from now() - min(created_at))::float8 as oldest
      from notifications where status = 'pending'`.execute(db),
    sql<{ failed: number }>`select count(*)::int as failed from notifications where status = 'failed'`.execute(db),
    sql<{ status: 'pending' | 'sent' | 'failed'; n: number }>`
      select status, count(*)::int as n from notifications
      where created_at > now() - interval '24 hours' group by status`.execute(db)
  ])
  const byStatus = { pending: 0, sent: 0, failed: 0 }
  for (const r of recent.rows) byStatus[r.status] = r.n
  return {
    backlog: pending.rows[0]?.backlog ?? 0,
    oldest_age_seconds: Math.max(0, pending.rows[0]?.oldest ?? 0),
    failed: failed.rows[0]?.failed ?? 0,
    recent: byStatus
  }
}

export interface JobRunFigures {
  /** Runs created in the last 24 hours by job and status, with the seconds the finished ones took. */
  recent: Array<{ name: string; status: string; runs: number; seconds: number }>
  /** The latest finished run of each job. */
  last: Array<{ name: string; status: string; seconds: number; finished_at: number }>
}

export async function jobRunFigures(db: Executor): Promise<JobRunFigures> {
  const [recent, last] = await Promise.all([
    sql<{ name: string; status: string; runs: number; seconds: number | null }>`
      select name, status, count(*)::int as runs,
             coalesce(sum(extract(epoch from finished_at - started_at)), 0)::float8 as seconds
      from job_runs where created_at > now() - interval '24 hours'
      group by name, status order by name, status`.execute(db),
    sql<{ name: string; status: string; seconds: number | null; finished_at: number }>`
      select distinct on (name) name, status,
             extract(epoch from finished_at - started_at)::float8 as seconds,
             extract(epoch from finished_at)::float8 as finished_at
      from job_runs where finished_at is not null and started_at is not null
      order by name, finished_at desc`.execute(db)
  ])
  return {
    recent: recent.rows.map((r) => ({ ...r, seconds: r.seconds ?? 0 })),
    last: last.rows.map((r) => ({ ...r, seconds: r.seconds ?? 0 }))
  }
}

export interface WebhookFigures {
  /** Deliveries waiting for an attempt (first or retry). */
  due: number
  /** Seconds since the oldest of them was due; 0 when there is none or none is late. */
  oldest_due_seconds: number
  /** Deliveries created in the last 24 hours, by status. */
  recent: Record<'pending' | 'succeeded' | 'failed' | 'exhausted', number>
}

/** Webhook deliveries at a glance, from the due index and the created_at index. */
export async function webhookFigures(db: Executor): Promise<WebhookFigures> {
  const [due, recent] = await Promise.all([
    sql<{ due: number; oldest: number | null }>`
      select count(*)::int as due, extract(epoch from now() - min(next_attempt_at))::float8 as oldest
      from webhook_deliveries where next_attempt_at is not null`.execute(db),
    sql<{ status: keyof WebhookFigures['recent']; n: number }>`
      select status, count(*)::int as n from webhook_deliveries
      where created_at > now() - interval '24 hours' group by status`.execute(db)
  ])
  const byStatus = { pending: 0, succeeded: 0, failed: 0, exhausted: 0 }
  for (const r of recent.rows) byStatus[r.status] = r.n
  return { due: due.rows[0]?.due ?? 0, oldest_due_seconds: Math.max(0, due.rows[0]?.oldest ?? 0), recent: byStatus }
}
