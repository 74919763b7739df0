// The lifecycle actions an analyst can take on an alert, offered only where the state allows them
// (src/triage/lifecycle.ts refuses the rest with a 409). Each posts, then the page re-renders from the
// Alert the API returns. Viewers see why there are no buttons.
import { useEffect, useRef, useState } from 'preact/hooks';
import { enc, errorText, post } from '../api';
import { canAct, useSession } from '../session';
import type { Alert, AlertDetail } from '../types';
import { ResolveForm } from './ResolveForm';
import { SnoozeForm } from './SnoozeForm';

interface Props {
  alert: Alert;
  onDone: (a: AlertDetail) => void;
}

type Mode = 'none' | 'resolve' | 'snooze';

export function Actions({ alert: a, onDone }: Props) {
  const { me } = useSession();
  const [mode, setMode] = useState<Mode>('none');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const [assignee, setAssignee] = useState('');
  const [note, setNote] = useState('');
  const msg = useRef<HTMLParagraphElement>(null);
  // The outcome takes the focus, so it is read out and the analyst knows where they are after a form closes.
  useEffect(() => {
    if (error || done) msg.current?.focus();
  }, [error, done]);

  // Until GET /api/me answers, the role is unknown: offer nothing rather than the wrong thing.
  if (!me) return null;
  if (!canAct(me)) {
    return (
      <p class="hint" data-testid="actions-viewer">
        You are signed in as a viewer: acknowledging, assigning, notes, resolving, snoozing and revealing who is behind a pseudonym need the analyst role.
      </p>
    );
  }

  const run = async (action: string, body: object, said: string) => {
    setBusy(true);
    setError(null);
    setDone('');
    try {
      const updated = await post<AlertDetail>(`/api/alerts/${enc(a.alertId)}/${action}`, body);
      onDone(updated);
      setMode('none');
      setDone(said);
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const s = a.triage.status;
  const message = (
    <p ref={msg} tabIndex={-1} class={error ? 'action-msg bad' : 'action-msg'} role={error ? 'alert' : 'status'}>
      {error ?? done}
    </p>
  );
  const cancel = () => setMode('none');
  if (mode === 'resolve') {
    return (
      <div class="actions">
        <ResolveForm tables={a.evidence.topTables.map((t) => t.table)} busy={busy} onCancel={cancel} onSubmit={(body) => void run('resolve', body, 'Resolved.')} />
        {message}
      </div>
    );
  }
  if (mode === 'snooze') {
    return (
      <div class="actions">
        <SnoozeForm busy={busy} onCancel={cancel} onSubmit={(body) => void run('snooze', body, 'Snoozed.')} />
        {message}
      </div>
    );
  }

  return (
    <div class="actions">
      <div class="button-row">
        {(s === 'open' || s === 'snoozed') && (
          <button type="button" class="primary" disabled={busy} onClick={() => void run('acknowledge', {}, 'Acknowledged.')}>
            Acknowledge
          </button>
        )}
        {s !== 'resolved' && (
          <button type="button" disabled={busy} onClick={() => setMode('resolve')}>
            Resolve
          </button>
        )}
        {s !== 'resolved' && (
          <button type="button" disabled={busy} onClick={() => setMode('snooze')}>
            Snooze
          </button>
        )}
        {(s === 'resolved' || s === 'snoozed') && (
          <button type="button" disabled={busy} onClick={() => void run('reopen', {}, 'Reopened.')}>
            Reopen
          </button>
        )}
        <button type="button" disabled={busy} onClick={() => void run('assign', { assignee: me.name }, `Assigned to ${me.name}.`)}>
          Assign to me
        </button>
      </div>
      <form
        class="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await run('assign', { assignee: assignee.trim() }, `Assigned to ${assignee.trim()}.`)) setAssignee('');
        }}
      >
        <label class="field grow">
          <span>Assignee</span>
          <input type="text" required autocomplete="off" pattern="[A-Za-z0-9._@\-]{1,128}" title="A user name: letters, digits, . _ @ -" value={assignee} onInput={(e) => setAssignee(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Assign
        </button>
      </form>
      <form
        class="note-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await run('notes', { note: note.trim() }, 'Note added.')) setNote('');
        }}
      >
        <label class="field">
          <span>Note</span>
          <textarea rows={2} required maxLength={4000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy || note.trim() === ''}>
          Add note
        </button>
      </form>
      {message}
    </div>
  );
}
