// Standing rules (suppressions, expectation adjustments) are stored append-only: a 'created' row, and a
// 'revoked' row when revoked. This folds such rows into the rules as they stand.
import { fromDateTime } from '../store';

/** The columns every rule event row has. */
export interface RuleEventRow {
  event: 'created' | 'revoked';
  at: string;
  actor: string;
}

/** What every rule carries about its creation and revocation. */
export interface RuleLife {
  id: string;
  createdBy: string;
  createdAt: number;
  revokedBy: string | null;
  revokedAt: number | null;
}

/**
 * Each rule created, with its first revocation, newest first. The rows must come creations first
 * (ORDER BY event, at, id): a revocation stamped by a clock behind the creator's still finds its rule.
 */
export function foldRuleEvents<R extends RuleEventRow, T extends RuleLife>(rows: ReadonlyArray<R>, idOf: (r: R) => string, rule: (r: R) => Omit<T, keyof RuleLife>): T[] {
  const byId = new Map<string, T>();
  for (const r of rows) {
    const id = idOf(r);
    if (r.event === 'created') {
      byId.set(id, { ...rule(r), id, createdBy: r.actor, createdAt: fromDateTime(r.at), revokedBy: null, revokedAt: null } as T);
    } else {
      const t = byId.get(id);
      if (t && t.revokedAt === null) Object.assign(t, { revokedBy: r.actor, revokedAt: fromDateTime(r.at) });
    }
  }
  return [...byId.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
}
