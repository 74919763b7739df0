// The list of keyboard shortcuts, in a native modal dialog (focus is trapped, Escape closes it).
import { useEffect, useRef } from 'preact/hooks';

const KEYS: Array<[string, string]> = [
  ['j / k', 'Next / previous alert in the queue'],
  ['Enter', 'Open the selected alert'],
  ['/', 'Go to the filters'],
  ['u', 'Back to the queue (alert and employee pages), to the cases (a case)'],
  ['r', 'Reload the page’s data'],
  ['?', 'Show this list'],
  ['Esc', 'Close a dialog or form'],
];

export function Shortcuts({ open, onClose }: { open: boolean; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="shortcuts-title" onClose={onClose}>
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <table class="keys">
        <tbody>
          {KEYS.map(([k, what]) => (
            <tr key={k}>
              <th scope="row">
                <kbd>{k}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}
