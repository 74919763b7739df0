// Messages for the page: errors in role="alert" (read out at once), notices in role="status".
import type { ComponentChildren } from 'preact';

interface Props {
  kind?: 'error' | 'info' | 'ok';
  children: ComponentChildren;
}

export function Banner({ kind = 'error', children }: Props) {
  return (
    <div class={`banner banner-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
