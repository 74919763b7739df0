// The tamper-evident record (docs/tamper-evidence.md): hash chains over alert revisions, triage actions,
// the audit trail, report manifests and retention runs.
//
//   writers insert rows as always --> sealer (one sequencer: seal.ts) appends links in chain_links
//   verify.ts walks links and rows --> the first broken link of each chain; heads.ts --> reports, webhooks
export { CHAINED_TABLES, CHAIN_NAMES, chainedTable, type ChainedTable } from './tables';
export { sealChains, sealEachChain, sealGraceMs, DEFAULT_GRACE_MS, LATE_WINDOW_MS, type SealOptions, type SealOutcome, type SealResult } from './seal';
export { verifyChains, type ChainVerification, type Problem, type ProblemKind, type VerifyOptions } from './verify';
export { chainHeads, formatHead, parseHead, type ChainHead } from './heads';
export { readLinks, headLink, linkHash, GENESIS, type ChainLink } from './links';
export { readRecords, contentHash, type ChainRecord } from './records';
