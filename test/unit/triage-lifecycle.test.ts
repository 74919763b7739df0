// The alert lifecycle as a pure function of its actions: the state after any sequence (applied by time,
// whatever order they come in), and which transitions are refused, with the reason an analyst reads.
import { ACTIONS, DISPOSITIONS, deriveState, refusal, type ActionInput, type AlertAction, type TriageState } from '../../src/triage';

const T0 = Date.parse('2026-10-01T09:00:00Z');
const MIN = 60_000;
let seq = 0;

function act(minute: number, action: AlertAction['action'], extra: Partial<AlertAction> = {}): AlertAction {
  seq += 1;
  return {
    actionId: `act-${String(seq).padStart(4, '0')}`,
    alertId: 'al_20261001_0123456789',
    at: T0 + minute * MIN,
    actor: 'cli:tester',
    action,
    assignee: '',
    disposition: '',
    note: '',
    snoozeUntil: 0,
    suppressionId: '',
    ...extra,
  };
}

const at = (minute: number) => T0 + minute * MIN;
const state = (actions: AlertAction[], nowMinute = 1000) => deriveState(actions, at(nowMinute));

describe('deriveState', () => {
  it('an alert nobody touched is open, with nothing set', () => {
    expect(state([])).toEqual({ status: 'open', assignee: null, disposition: null, snoozedUntil: null, acknowledgedAt: null, resolvedAt: null, notes: [], history: [] });
  });

  it('acknowledge: acknowledged, with the time of the first acknowledgement', () => {
    const s = state([act(1, 'acknowledge')]);
    expect(s).toMatchObject({ status: 'acknowledged', acknowledgedAt: at(1), resolvedAt: null, disposition: null });
  });

  it('ack then resolve: resolved with the disposition; acknowledged time kept, resolved time set', () => {
    const s = state([act(1, 'acknowledge'), act(5, 'resolve', { disposition: 'false_positive' })]);
    expect(s).toMatchObject({ status: 'resolved', disposition: 'false_positive', acknowledgedAt: at(1), resolvedAt: at(5) });
  });

  it('resolving an alert never acknowledged counts as acknowledging it then', () => {
    expect(state([act(3, 'resolve', { disposition: 'true_positive' })])).toMatchObject({ status: 'resolved', disposition: 'true_positive', acknowledgedAt: at(3), resolvedAt: at(3) });
  });

  it.each(DISPOSITIONS)('resolve keeps the disposition %s', (d) => {
    expect(state([act(1, 'resolve', { disposition: d })]).disposition).toBe(d);
  });

  it('assign sets the assignee without changing the status; a second assign reassigns', () => {
    const once = state([act(1, 'assign', { assignee: 'jane.doe' })]);
    expect(once).toMatchObject({ status: 'open', assignee: 'jane.doe' });
    const again = state([act(1, 'assign', { assignee: 'jane.doe' }), act(2, 'acknowledge'), act(3, 'assign', { assignee: 'omar.k' })]);
    expect(again).toMatchObject({ status: 'acknowledged', assignee: 'omar.k' });
  });

  it('the assignee stays through resolve and reopen', () => {
    const s = state([act(1, 'assign', { assignee: 'jane.doe' }), act(2, 'resolve', { disposition: 'duplicate' }), act(3, 'reopen')]);
    expect(s).toMatchObject({ status: 'open', assignee: 'jane.doe' });
  });

  it('notes accumulate in time order, including notes given with other actions', () => {
    const s = state([
      act(1, 'acknowledge', { note: 'looking' }),
      act(2, 'note', { note: 'called the manager', actor: 'jane.doe' }),
      act(3, 'assign', { assignee: 'omar.k', note: 'over to Omar' }),
      act(4, 'snooze', { snoozeUntil: at(30), note: 'wait for HR' }),
      act(5, 'resolve', { disposition: 'expected_activity', note: 'planned migration' }),
      act(6, 'reopen', { note: 'again on Monday' }),
      act(7, 'note', { note: 'second note' }),
    ]);
    expect(s.notes).toEqual([
      { at: at(1), actor: 'cli:tester', note: 'looking' },
      { at: at(2), actor: 'jane.doe', note: 'called the manager' },
      { at: at(3), actor: 'cli:tester', note: 'over to Omar' },
      { at: at(4), actor: 'cli:tester', note: 'wait for HR' },
      { at: at(5), actor: 'cli:tester', note: 'planned migration' },
      { at: at(6), actor: 'cli:tester', note: 'again on Monday' },
      { at: at(7), actor: 'cli:tester', note: 'second note' },
    ]);
  });

  it('an action without a note adds none', () => {
    expect(state([act(1, 'acknowledge'), act(2, 'assign', { assignee: 'x' }), act(3, 'resolve', { disposition: 'duplicate' })]).notes).toEqual([]);
  });

  it('snooze: snoozed until its time', () => {
    const s = deriveState([act(1, 'snooze', { snoozeUntil: at(60) })], at(59));
    expect(s).toMatchObject({ status: 'snoozed', snoozedUntil: at(60) });
  });

  it('a snooze of an open alert ends by itself at its time and the alert is open again', () => {
    const actions = [act(1, 'snooze', { snoozeUntil: at(60) })];
    expect(deriveState(actions, at(60) - 1).status).toBe('snoozed');
    expect(deriveState(actions, at(60))).toMatchObject({ status: 'open', snoozedUntil: null });
    expect(deriveState(actions, at(500))).toMatchObject({ status: 'open', snoozedUntil: null });
  });

  it('a snooze of an acknowledged alert ends by itself and the alert is acknowledged again', () => {
    const actions = [act(1, 'acknowledge'), act(2, 'snooze', { snoozeUntil: at(60) })];
    expect(deriveState(actions, at(30))).toMatchObject({ status: 'snoozed', acknowledgedAt: at(1) });
    expect(deriveState(actions, at(61))).toMatchObject({ status: 'acknowledged', snoozedUntil: null, acknowledgedAt: at(1) });
  });

  it('a second snooze replaces the first', () => {
    const actions = [act(1, 'snooze', { snoozeUntil: at(60) }), act(2, 'snooze', { snoozeUntil: at(120) })];
    expect(deriveState(actions, at(90))).toMatchObject({ status: 'snoozed', snoozedUntil: at(120) });
  });

  it('acknowledging a snoozed alert ends the snooze', () => {
    expect(state([act(1, 'snooze', { snoozeUntil: at(5000) }), act(2, 'acknowledge')])).toMatchObject({ status: 'acknowledged', snoozedUntil: null });
  });

  it('resolving a snoozed alert ends the snooze', () => {
    expect(state([act(1, 'snooze', { snoozeUntil: at(5000) }), act(2, 'resolve', { disposition: 'duplicate' })])).toMatchObject({ status: 'resolved', snoozedUntil: null });
  });

  it('reopen clears the disposition and the resolved time, and the alert is open', () => {
    const s = state([act(1, 'acknowledge'), act(2, 'resolve', { disposition: 'false_positive' }), act(3, 'reopen')]);
    expect(s).toMatchObject({ status: 'open', disposition: null, resolvedAt: null, snoozedUntil: null, acknowledgedAt: at(1) });
  });

  it('reopen of a snoozed alert ends the snooze', () => {
    expect(state([act(1, 'snooze', { snoozeUntil: at(5000) }), act(2, 'reopen')])).toMatchObject({ status: 'open', snoozedUntil: null });
  });

  it('resolved again after a reopen: the new disposition and time', () => {
    const s = state([act(1, 'resolve', { disposition: 'false_positive' }), act(2, 'reopen'), act(3, 'resolve', { disposition: 'true_positive' })]);
    expect(s).toMatchObject({ status: 'resolved', disposition: 'true_positive', resolvedAt: at(3) });
  });

  // acknowledgedAt survives a reopen: the end of a snooze must not be derived from it.
  it('a snooze after a reopen ends with the alert open, where it was before the snooze', () => {
    const actions = [act(1, 'acknowledge'), act(2, 'resolve', { disposition: 'duplicate' }), act(3, 'reopen'), act(4, 'snooze', { snoozeUntil: at(60) })];
    expect(deriveState(actions, at(61)).status).toBe('open');
  });

  it('applies actions by time, not by the order given; the history is in time order', () => {
    const inOrder = [act(1, 'acknowledge'), act(2, 'assign', { assignee: 'a' }), act(3, 'assign', { assignee: 'b' }), act(4, 'resolve', { disposition: 'duplicate' }), act(5, 'reopen')];
    const shuffled = [inOrder[3], inOrder[4], inOrder[0], inOrder[2], inOrder[1]];
    const s = state(shuffled);
    expect(s).toEqual(state(inOrder));
    expect(s).toMatchObject({ status: 'open', assignee: 'b', disposition: null });
    expect(s.history.map((a) => a.action)).toEqual(['acknowledge', 'assign', 'assign', 'resolve', 'reopen']);
    // Reversed: reopen "before" resolve would leave it resolved; time decides.
    expect(state([...inOrder].reverse()).status).toBe('open');
  });

  it('actions at the same millisecond are ordered by action id', () => {
    const a = act(1, 'assign', { assignee: 'first', actionId: 'a-1' });
    const b = act(1, 'assign', { assignee: 'second', actionId: 'a-2' });
    expect(state([b, a]).assignee).toBe('second');
    expect(state([a, b]).assignee).toBe('second');
  });

  it('does not change the actions it is given', () => {
    const actions = [act(2, 'resolve', { disposition: 'duplicate' }), act(1, 'acknowledge')];
    const copy = actions.map((a) => ({ ...a }));
    state(actions);
    expect(actions).toEqual(copy);
  });
});

describe('refusal', () => {
  const NOW = at(100);
  const open = (): TriageState => deriveState([], NOW);
  const acknowledged = () => deriveState([act(1, 'acknowledge')], NOW);
  const snoozed = () => deriveState([act(1, 'snooze', { snoozeUntil: at(500) })], NOW);
  const resolved = () => deriveState([act(1, 'resolve', { disposition: 'false_positive' })], NOW);
  const ok = (s: TriageState, input: ActionInput) => expect(refusal(s, input, NOW)).toBeNull();

  it('allows the ordinary transitions', () => {
    ok(open(), { action: 'acknowledge' });
    ok(snoozed(), { action: 'acknowledge' });
    ok(open(), { action: 'resolve', disposition: 'true_positive' });
    ok(acknowledged(), { action: 'resolve', disposition: 'duplicate' });
    ok(snoozed(), { action: 'resolve', disposition: 'expected_activity' });
    ok(open(), { action: 'snooze', snoozeUntil: NOW + 1 });
    ok(acknowledged(), { action: 'snooze', snoozeUntil: NOW + MIN });
    ok(snoozed(), { action: 'snooze', snoozeUntil: NOW + MIN });
    ok(resolved(), { action: 'reopen' });
    ok(snoozed(), { action: 'reopen' });
    for (const s of [open(), acknowledged(), snoozed(), resolved()]) {
      ok(s, { action: 'assign', assignee: 'jane.doe' });
      ok(s, { action: 'note', note: 'a note' });
    }
  });

  it('resolve without a disposition, naming the dispositions', () => {
    expect(refusal(open(), { action: 'resolve' }, NOW)).toEqual({ code: 'TRIAGE_INVALID', message: 'a disposition is required (true_positive, false_positive, expected_activity, duplicate)' });
    expect(refusal(acknowledged(), { action: 'resolve', note: 'done' }, NOW)).toMatchObject({ code: 'TRIAGE_INVALID', message: expect.stringMatching(/^a disposition is required/) });
  });

  it('resolve a resolved alert', () => {
    expect(refusal(resolved(), { action: 'resolve', disposition: 'duplicate' }, NOW)).toEqual({ code: 'TRIAGE_CONFLICT', message: 'the alert is already resolved' });
  });

  it('acknowledge a resolved alert, or one already acknowledged', () => {
    expect(refusal(resolved(), { action: 'acknowledge' }, NOW)).toEqual({ code: 'TRIAGE_CONFLICT', message: 'the alert is resolved; reopen it first' });
    expect(refusal(acknowledged(), { action: 'acknowledge' }, NOW)).toEqual({ code: 'TRIAGE_CONFLICT', message: 'the alert is already acknowledged' });
  });

  it('snooze in the past, at now, or without a time', () => {
    expect(refusal(open(), { action: 'snooze', snoozeUntil: NOW - MIN }, NOW)).toEqual({ code: 'TRIAGE_INVALID', message: 'snooze needs a time in the future' });
    expect(refusal(open(), { action: 'snooze', snoozeUntil: NOW }, NOW)).toEqual({ code: 'TRIAGE_INVALID', message: 'snooze needs a time in the future' });
    expect(refusal(open(), { action: 'snooze' }, NOW)).toEqual({ code: 'TRIAGE_INVALID', message: 'snooze needs a time in the future' });
    expect(refusal(open(), { action: 'snooze', snoozeUntil: Number.NaN }, NOW)).toEqual({ code: 'TRIAGE_INVALID', message: 'snooze needs a time in the future' });
  });

  it('snooze a resolved alert', () => {
    expect(refusal(resolved(), { action: 'snooze', snoozeUntil: NOW + MIN }, NOW)).toEqual({ code: 'TRIAGE_CONFLICT', message: 'a resolved alert cannot be snoozed' });
  });

  it('reopen an open or acknowledged alert (including one whose snooze has ended)', () => {
    expect(refusal(open(), { action: 'reopen' }, NOW)).toEqual({ code: 'TRIAGE_CONFLICT', message: 'only a resolved or snoozed alert can be reopened' });
    expect(refusal(acknowledged(), { action: 'reopen' }, NOW)).toEqual({ code: 'TRIAGE_CONFLICT', message: 'only a resolved or snoozed alert can be reopened' });
    const ended = deriveState([act(1, 'snooze', { snoozeUntil: at(50) })], NOW);
    expect(refusal(ended, { action: 'reopen' }, NOW)).toEqual({ code: 'TRIAGE_CONFLICT', message: 'only a resolved or snoozed alert can be reopened' });
  });

  it('assign without an assignee, or a blank one', () => {
    for (const assignee of [undefined, '', '   ']) expect(refusal(open(), { action: 'assign', assignee }, NOW)).toEqual({ code: 'TRIAGE_INVALID', message: 'an assignee is required' });
  });

  it('note without text, or blank text', () => {
    for (const note of [undefined, '', ' \n\t ']) expect(refusal(acknowledged(), { action: 'note', note }, NOW)).toEqual({ code: 'TRIAGE_INVALID', message: 'a note is required' });
  });

  it('has an answer for every action', () => {
    for (const action of ACTIONS) expect(() => refusal(open(), { action }, NOW)).not.toThrow();
  });
});
