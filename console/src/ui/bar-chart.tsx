/** One bar: its value split into stacked parts (e.g. done, pending, dead), each with a class for its colour. */
export interface Bar {
  label: string;
  parts: { value: number; class: string }[];
}

/**
 * A small SVG bar chart. It is an image to assistive technology, described by `summary` (which
 * says in words what the bars show); the same numbers are on the page in text or a table.
 */
export function BarChart(props: { bars: Bar[]; summary: string; height?: number; axis?: [string, string]; shares?: boolean; labels?: boolean }) {
  const height = props.height ?? 80;
  const width = 600;
  const gap = props.bars.length > 30 ? 1 : 4;
  const barWidth = (width - gap * (props.bars.length - 1)) / Math.max(props.bars.length, 1);
  const max = Math.max(1, ...props.bars.map((bar) => bar.parts.reduce((sum, part) => sum + part.value, 0)));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.summary} preserveAspectRatio="none">
        <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} class="axis" />
        {props.bars.map((bar, index) => {
          let y = height;
          const total = bar.parts.reduce((sum, part) => sum + part.value, 0);
          // With `shares`, every bar is full height, split by each part's share of it.
          const scale = props.shares ? (total === 0 ? 0 : (height - 4) / total) : (height - 4) / max;
          return (
            <g key={index}>
              <title>{bar.label}</title>
              {bar.parts.map((part, partIndex) => {
                const h = part.value * scale;
                y -= h;
                return <rect key={partIndex} x={index * (barWidth + gap)} y={y} width={barWidth} height={h} class={part.class} />;
              })}
            </g>
          );
        })}
      </svg>
      {props.labels && (
        <div class="chart-labels" aria-hidden="true">
          {props.bars.map((bar) => (
            <span key={bar.label}>{bar.label}</span>
          ))}
        </div>
      )}
      {props.axis && (
        <div class="chart-axis" aria-hidden="true">
          <span>{props.axis[0]}</span>
          <span>{props.axis[1]}</span>
        </div>
      )}
      <figcaption class="muted">{props.summary}</figcaption>
    </figure>
  );
}
