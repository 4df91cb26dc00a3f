import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import type { Accessor, AuditAction, AuditResourceType } from '../audit/audit.repository.js'

export interface EventRecord {
  type: AuditResourceType
  id: string
  referral_id: string | null
  mentor_id: string | null
}

const CHUNK = 20_000

/**
 * One access event per record, in the caller's transaction: the records go as four arrays, so a
 * batch of any size is one statement per chunk and never meets the limit on bound parameters.
 */
export async function recordEvents(
  db: Executor,
  who: Accessor,
  action: AuditAction,
  records: EventRecord[]
): Promise<void> {
  for (let i = 0; i < records.length; i += CHUNK) {
    const part = records.slice(i, i + CHUNK)
    await sql`
      insert into audit_events (organisation_id, actor_id, actor_role, action, resource_type, resource_id, referral_id, mentor_id, purpose, request_id)
      select ${who.org}::uuid, ${who.actorId}::text, ${who.actorRole}::text, ${action}::text, t.type, t.id, t.referral_id, t.mentor_id, ${who.purpose}::text, ${who.requestId}::text
      from unnest(${part.map((r) => r.type)}::text[], ${part.map((r) => r.id)}::uuid[], ${part.map((r) => r.referral_id)}::uuid[], ${part.map((r) => r.mentor_id)}::uuid[])
        as t(type, id, referral_id, mentor_id)`.execute(db)
  }
}
