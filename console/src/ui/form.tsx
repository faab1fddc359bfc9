import { useId } from 'preact/hooks';

/** A labelled input; `hint` is read with it (aria-describedby). */
export function Field(
  props: {
    label: string;
    hint?: string;
    value: string;
    onInput: (value: string) => void;
    type?: 'text' | 'email' | 'password';
    required?: boolean;
    autoComplete?: string;
    minLength?: number;
    maxLength?: number;
    placeholder?: string;
  },
) {
  const { label, hint, value, onInput, type = 'text', ...rest } = props;
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type={type as 'text'} value={value} aria-describedby={hint ? `${id}-hint` : undefined} onInput={(e) => onInput(e.currentTarget.value)} {...rest} />
      {hint && (
        <small id={`${id}-hint`} class="muted">
          {hint}
        </small>
      )}
    </div>
  );
}

/** A labelled select over a list of values. */
export function Choice<T extends string>(props: { label: string; value: T; options: readonly T[]; onChange: (value: T) => void; labels?: Partial<Record<T, string>> }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value as T)}>
        {props.options.map((option) => (
          <option value={option} key={option}>
            {props.labels?.[option] ?? option}
          </option>
        ))}
      </select>
    </div>
  );
}
