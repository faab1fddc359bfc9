import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { errorText } from '../api/errors';

/** A page: its title (also the tab's) and content. The heading takes focus after navigation. */
export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${props.title} · Herald console`;
  }, [props.title]);
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>{props.title}</h1>
        {props.actions && <div class="actions">{props.actions}</div>}
      </div>
      {props.children}
    </>
  );
}

/** An error in words, announced to screen readers; nothing when there is none. */
export function ErrorNote(props: { error: unknown }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {errorText(props.error)}
    </p>
  );
}

export function Notice(props: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {props.children}
    </p>
  );
}

export function Loading(props: { when: boolean }) {
  return props.when ? <p class="muted" role="status">Loading…</p> : null;
}

/** "Load more" under a paginated list while the API says there is a next page. */
export function MoreButton(props: { hasMore: boolean; loading: boolean; onClick: () => void }) {
  if (!props.hasMore) return null;
  return (
    <button type="button" class="secondary more" disabled={props.loading} onClick={props.onClick}>
      {props.loading ? 'Loading…' : 'Load more'}
    </button>
  );
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A timestamp, shown in the reader's locale, with the exact ISO value as its machine-readable form. */
export function Time(props: { value: string | null | undefined }) {
  if (!props.value) return <span class="muted">–</span>;
  return <time dateTime={props.value}>{dateTime.format(new Date(props.value))}</time>;
}
