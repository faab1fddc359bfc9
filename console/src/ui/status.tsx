/** A status word with a colour that does not carry the meaning alone (the word is always there). */
export function StatusBadge(props: { status: string }) {
  const tone =
    ['ACTIVE', 'COMPLETED', 'DONE', 'ACCEPTED', 'SUCCEEDED', 'ENABLED', 'live'].includes(props.status)
      ? 'good'
      : ['FAILED', 'DEAD', 'DELETED', 'REVOKED', 'EXPIRED', 'DECLINED', 'DISABLED', 'ended'].includes(props.status)
        ? 'bad'
        : 'neutral';
  const words = props.status.toLowerCase().replace(/[_-]/g, ' ');
  return <span class={`badge ${tone}`}>{words.charAt(0).toUpperCase() + words.slice(1)}</span>;
}
