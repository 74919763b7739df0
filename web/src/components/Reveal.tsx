// The employee behind a pseudonym, for analysts, after a confirmation that says it is recorded: every
// reveal is an audit entry with the analyst's name. Nothing is remembered after the page is left.
import { useEffect, useRef, useState } from 'preact/hooks';
import { enc, errorText, post } from '../api';
import { canAct, useSession } from '../session';
import type { Reveal as RevealOut } from '../types';

type State = { step: 'idle' } | { step: 'confirm' } | { step: 'busy' } | { step: 'shown'; user: string } | { step: 'error'; message: string };

export function Reveal({ pseudonym }: { pseudonym: string }) {
  const { me } = useSession();
  const [s, setS] = useState<State>({ step: 'idle' });
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => setS({ step: 'idle' }), [pseudonym]);
  useEffect(() => {
    if (s.step === 'confirm') confirmRef.current?.focus();
  }, [s.step]);

  if (!canAct(me)) return null;
  const reveal = async () => {
    setS({ step: 'busy' });
    try {
      const r = await post<RevealOut>(`/api/pseudonyms/${enc(pseudonym)}/reveal`);
      setS({ step: 'shown', user: r.user });
    } catch (e) {
      setS({ step: 'error', message: errorText(e) });
    }
  };

  switch (s.step) {
    case 'idle':
      return (
        <button type="button" class="small" onClick={() => setS({ step: 'confirm' })}>
          Reveal
        </button>
      );
    case 'confirm':
    case 'busy':
      return (
        <span class="reveal-confirm" role="group" aria-label="Confirm reveal" onKeyDown={(e) => e.key === 'Escape' && setS({ step: 'idle' })}>
          <span>Show the employee behind {pseudonym}? The reveal is recorded in the audit trail under your name.</span>
          <button type="button" class="small danger" ref={confirmRef} disabled={s.step === 'busy'} onClick={reveal}>
            {s.step === 'busy' ? 'Revealing…' : 'Confirm reveal'}
          </button>
          <button type="button" class="small quiet" onClick={() => setS({ step: 'idle' })}>
            Cancel
          </button>
        </span>
      );
    case 'shown':
      return (
        <span class="revealed">
          <span class="sr-only">Employee: </span>
          <span data-testid="revealed-user">{s.user}</span>
          <button type="button" class="small quiet" onClick={() => setS({ step: 'idle' })}>
            Hide
          </button>
        </span>
      );
    case 'error':
      return (
        <span class="reveal-error" role="alert">
          {s.message}{' '}
          <button type="button" class="small quiet" onClick={() => setS({ step: 'idle' })}>
            Dismiss
          </button>
        </span>
      );
  }
}
