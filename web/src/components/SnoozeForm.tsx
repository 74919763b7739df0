// Snoozing: out of the open queue until a time (UTC), back by itself then.
import { useEffect, useRef, useState } from 'preact/hooks';

interface Props {
  busy: boolean;
  onSubmit: (body: { until: string; note?: string }) => void;
  onCancel: () => void;
}

/** datetime-local has no zone: the field is read and written as UTC, and labelled so. */
const inputValue = (ms: number) => new Date(ms).toISOString().slice(0, 16);

export function SnoozeForm({ busy, onSubmit, onCancel }: Props) {
  const [until, setUntil] = useState(() => inputValue(Date.now() + 86_400_000));
  const [note, setNote] = useState('');
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = (e: Event) => {
    e.preventDefault();
    onSubmit({ until: new Date(`${until}:00Z`).toISOString(), ...(note.trim() ? { note: note.trim() } : {}) });
  };
  return (
    <form class="action-form" aria-label="Snooze alert" onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <label class="field">
        <span>Snooze until (UTC)</span>
        <input ref={first} type="datetime-local" required min={inputValue(Date.now())} value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
      </label>
      <div class="presets" role="group" aria-label="Quick choices">
        {[
          ['4 h', 4],
          ['1 day', 24],
          ['1 week', 168],
        ].map(([label, h]) => (
          <button key={label} type="button" class="small quiet" onClick={() => setUntil(inputValue(Date.now() + Number(h) * 3_600_000))}>
            {label}
          </button>
        ))}
      </div>
      <label class="field">
        <span>Note</span>
        <textarea rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Snoozing…' : 'Snooze alert'}
        </button>
        <button type="button" class="quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
