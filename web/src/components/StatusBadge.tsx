// The triage status word, styled by state. The text is exactly the API's status word.
import type { Status } from '../types';

export function StatusBadge({ status, testId }: { status: Status; testId?: string }) {
  return (
    <span class={`status status-${status}`} data-testid={testId}>
      {status}
    </span>
  );
}
