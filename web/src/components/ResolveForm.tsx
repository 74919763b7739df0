// Closing an alert with a verdict. A false positive or expected activity may also suppress the pattern
// (the detector then leaves it out), always with a reason and an expiry, as the API requires; or raise
// the expected volume of the employee (project work) or of their department and role (expected for the
// role) until a date, by a factor (default: enough to cover this alert, at most 10x).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ADJUSTMENT_KINDS, DISPOSITIONS, SCOPES, SUPPRESSIBLE, type AdjustmentKind, type Disposition, type Scope } from '../types';
import { humanize } from '../format';

export interface ResolveBody {
  disposition: Disposition;
  note?: string;
  suppress?: { scope: Scope; until: string; reason: string; table?: string };
  adjust?: { kind: AdjustmentKind; until: string; factor?: number; reason?: string };
}

const KIND_LABEL: Record<AdjustmentKind, string> = {
  project_work: 'Project work (this employee)',
  expected_for_role: 'Expected for the role (everyone in the department and role)',
};

/** The most an adjustment may last and raise (the API refuses more). */
const MAX_ADJUST_DAYS = 90;
const MAX_FACTOR = 10;
const dayPlus = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

interface Props {
  /** Tables to offer for a suppression of one table (the alert's top tables; a case: none, typed). */
  tables: ReadonlyArray<string>;
  /** What is resolved, for the form's name: "alert" or "case". */
  what?: string;
  busy: boolean;
  onSubmit: (body: ResolveBody) => void;
  onCancel: () => void;
}

const SCOPE_LABEL: Record<Scope, string> = {
  user: 'This employee (all activity)',
  user_table: 'This employee and one table',
  service_account: 'This service account',
};

/** A suppression lasts 30 days unless the analyst says otherwise: long enough to stop the noise, short
 * enough to be looked at again. */
const defaultUntil = () => new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);

export function ResolveForm({ tables, what = 'alert', busy, onSubmit, onCancel }: Props) {
  const [disposition, setDisposition] = useState<Disposition | ''>('');
  const [note, setNote] = useState('');
  const [suppress, setSuppress] = useState(false);
  const [scope, setScope] = useState<Scope>('user_table');
  const [table, setTable] = useState(tables[0] ?? '');
  const [until, setUntil] = useState(defaultUntil);
  const [reason, setReason] = useState('');
  const [adjust, setAdjust] = useState(false);
  const [kind, setKind] = useState<AdjustmentKind>('project_work');
  const [adjustUntil, setAdjustUntil] = useState(() => dayPlus(30));
  const [factor, setFactor] = useState('');
  const [adjustReason, setAdjustReason] = useState('');
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);

  const canSuppress = disposition !== '' && SUPPRESSIBLE.includes(disposition);
  const submit = (e: Event) => {
    e.preventDefault();
    if (disposition === '') return;
    const body: ResolveBody = { disposition };
    if (note.trim()) body.note = note.trim();
    if (canSuppress && suppress) {
      body.suppress = { scope, until: `${until}T00:00:00Z`, reason: reason.trim() };
      if (scope === 'user_table') body.suppress.table = table.trim();
    }
    if (canSuppress && adjust) {
      body.adjust = { kind, until: adjustUntil };
      if (factor.trim() !== '') body.adjust.factor = Number(factor);
      if (adjustReason.trim()) body.adjust.reason = adjustReason.trim();
    }
    onSubmit(body);
  };

  return (
    <form class="action-form" aria-label={`Resolve ${what}`} onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <label class="field">
        <span>Disposition</span>
        <select ref={first} required value={disposition} onChange={(e) => setDisposition(e.currentTarget.value as Disposition | '')}>
          <option value="">Choose a verdict…</option>
          {DISPOSITIONS.map((d) => (
            <option key={d} value={d}>
              {humanize(d)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Note</span>
        <textarea rows={3} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <label class="check">
        <input type="checkbox" checked={suppress && canSuppress} disabled={!canSuppress} onChange={(e) => setSuppress(e.currentTarget.checked)} aria-describedby="suppress-hint" />
        Also suppress
      </label>
      <p id="suppress-hint" class="hint">
        {canSuppress ? 'Keeps this pattern from alerting again until the date below.' : 'Only a false positive or expected activity can suppress the pattern.'}
      </p>
      {suppress && canSuppress && (
        <fieldset class="suppress">
          <legend>Suppression</legend>
          <label class="field">
            <span>Scope</span>
            <select value={scope} onChange={(e) => setScope(e.currentTarget.value as Scope)}>
              {SCOPES.map((s) => (
                <option key={s} value={s}>
                  {SCOPE_LABEL[s]}
                </option>
              ))}
            </select>
          </label>
          {scope === 'user_table' && (
            <label class="field">
              <span>Table</span>
              <input type="text" required list="dl-alert-tables" pattern="[^.\s]+\.[^.\s]+" title="database.table" value={table} onInput={(e) => setTable(e.currentTarget.value)} />
              <datalist id="dl-alert-tables">
                {tables.map((t) => (
                  <option key={t} value={t} />
                ))}
              </datalist>
            </label>
          )}
          <label class="field">
            <span>Until (UTC)</span>
            <input type="date" required min={new Date().toISOString().slice(0, 10)} value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>Reason</span>
            <input type="text" required maxLength={1000} placeholder="e.g. CHG-1234 approved migration" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
        </fieldset>
      )}
      <label class="check">
        <input type="checkbox" checked={adjust && canSuppress} disabled={!canSuppress} onChange={(e) => setAdjust(e.currentTarget.checked)} aria-describedby="adjust-hint" />
        Also raise the expected volume
      </label>
      <p id="adjust-hint" class="hint">
        {canSuppress
          ? `Still judged, but against a raised expectation until the date below (at most ${MAX_ADJUST_DAYS} days, at most ${MAX_FACTOR}×; policy limits stay).`
          : 'Only a false positive or expected activity can raise the expected volume.'}
      </p>
      {adjust && canSuppress && (
        <fieldset class="suppress">
          <legend>Expectation adjustment</legend>
          <label class="field">
            <span>Reason</span>
            <select value={kind} onChange={(e) => setKind(e.currentTarget.value as AdjustmentKind)}>
              {ADJUSTMENT_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABEL[k]}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>Until (UTC)</span>
            <input type="date" required min={dayPlus(1)} max={dayPlus(MAX_ADJUST_DAYS)} value={adjustUntil} onInput={(e) => setAdjustUntil(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>Factor</span>
            <input type="number" min={1.1} max={MAX_FACTOR} step={0.1} placeholder="enough to cover this alert" value={factor} onInput={(e) => setFactor(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>Details</span>
            <input type="text" maxLength={1000} placeholder="e.g. Q4 data migration, CHG-1234" value={adjustReason} onInput={(e) => setAdjustReason(e.currentTarget.value)} />
          </label>
        </fieldset>
      )}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy || disposition === ''}>
          {busy ? 'Resolving…' : `Resolve ${what}`}
        </button>
        <button type="button" class="quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
