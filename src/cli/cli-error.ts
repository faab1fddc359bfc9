/** A failure the CLI reports as one line (`herald: <message>`) with a non-zero exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    /** 1 for a failure, 2 for a usage mistake. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}
