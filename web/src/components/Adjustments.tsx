// Expectation adjustments as a table: for whom, by how much, over which days, by whom and why, and
// whether each is in force. Shown on the alert page (made by resolving it, applied to it) and on the
// employee page (theirs and their peer group's).
import type { Adjustment } from '../types';

const KIND_LABEL: Record<Adjustment['kind'], string> = { project_work: 'Project work', expected_for_role: 'Expected for the role' };

function state(a: Adjustment): string {
  if (a.revokedAt) return `Revoked by ${a.revokedBy ?? '?'} on ${a.revokedAt.slice(0, 10)}`;
  return a.active ? 'In force' : 'Ended';
}

export function Adjustments({ items, label, empty }: { items: Adjustment[]; label: string; empty?: string }) {
  if (items.length === 0) return empty ? <p class="muted">{empty}</p> : null;
  return (
    <table class="grid" aria-label={label} data-testid="adjustments">
      <thead>
        <tr>
          <th scope="col">Reason</th>
          <th scope="col">For</th>
          <th scope="col">Expected volume</th>
          <th scope="col">Days (UTC)</th>
          <th scope="col">By</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        {items.map((a) => (
          <tr key={a.id} data-adjustment-id={a.id}>
            <td>
              {KIND_LABEL[a.kind]}
              {a.reason ? <span class="muted">: {a.reason}</span> : null}
            </td>
            <td class="pseudonym">{a.scope === 'peer_group' ? `everyone in ${a.subject}` : a.subject}</td>
            <td class="num">{a.factor}× usual</td>
            <td>
              {a.from.slice(0, 10)} until {a.until.slice(0, 10)}
            </td>
            <td>{a.createdBy}</td>
            <td>{state(a)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
