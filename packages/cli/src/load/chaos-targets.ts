/** What `modfleet load --chaos` may kill: apart from chaos.ts, so the flag's parser loads no random generator. */
export const CHAOS_TARGETS = ['agents', 'coordinator', 'shards'] as const;
export type ChaosTarget = (typeof CHAOS_TARGETS)[number];
