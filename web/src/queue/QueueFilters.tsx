// The queue's filter form. Selects apply as soon as they change; text fields when they are left or Enter
// is pressed. The first field is what "/" focuses.
import { useEffect, useState } from 'preact/hooks';
import { SEVERITIES, STATUSES } from '../types';
import { humanize } from '../format';
import { DEFAULT_FILTERS, isFiltered, type Filters } from './filters';

interface Props {
  filters: Filters;
  onChange: (f: Filters) => void;
  /** Suggestions gathered from the loaded alerts (there is no catalogue route for them). */
  departments: string[];
  detectors: string[];
}

type TextKey = 'department' | 'detector' | 'user';

export function QueueFilters({ filters, onChange, departments, detectors }: Props) {
  // Text fields keep their draft until applied, so a half-typed value does not trigger a reload.
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [filters]);

  const apply = (next: Partial<Filters>) => onChange({ ...draft, ...next });
  const text = (key: TextKey) => ({
    value: draft[key],
    onInput: (e: Event) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement).value }),
    onChange: (e: Event) => apply({ [key]: (e.currentTarget as HTMLInputElement).value.trim() }),
  });

  return (
    <form
      class="filters"
      role="search"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        apply({ department: draft.department.trim(), detector: draft.detector.trim(), user: draft.user.trim() });
      }}
    >
      <label>
        <span>Status</span>
        <select id="filter-first" value={draft.status} onChange={(e) => apply({ status: e.currentTarget.value as Filters['status'] })}>
          <option value="all">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Severity</span>
        <select value={draft.severity} onChange={(e) => apply({ severity: e.currentTarget.value as Filters['severity'] })}>
          <option value="">Any</option>
          {[...SEVERITIES].reverse().map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Department</span>
        <input type="text" list="dl-departments" autocomplete="off" size={14} {...text('department')} />
      </label>
      <label>
        <span>Detector</span>
        <input type="text" list="dl-detectors" autocomplete="off" size={12} {...text('detector')} />
      </label>
      <label>
        <span>Employee</span>
        <input
          type="text"
          autocomplete="off"
          spellcheck={false}
          size={15}
          placeholder="emp-…"
          pattern="emp-[0-9a-f]{10}"
          title="A pseudonym: emp- and 10 hex digits"
          {...text('user')}
        />
      </label>
      <div class="filter-actions">
        <button type="submit">Apply</button>
        <button type="button" class="quiet" disabled={!isFiltered(filters)} onClick={() => onChange({ ...DEFAULT_FILTERS, sort: filters.sort, dir: filters.dir })}>
          Reset
        </button>
      </div>
      <datalist id="dl-departments">
        {departments.map((d) => (
          <option key={d} value={d} />
        ))}
      </datalist>
      <datalist id="dl-detectors">
        {detectors.map((d) => (
          <option key={d} value={d} />
        ))}
      </datalist>
    </form>
  );
}
