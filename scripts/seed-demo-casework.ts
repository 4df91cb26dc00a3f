import type { Kysely } from 'kysely'

/** Demo mentors, once the mentors tables exist; returns one mentor's id for a mentor token. */
export async function demoMentors (_db: Kysely<any>, _org: string): Promise<string | null> {
  return null
}
