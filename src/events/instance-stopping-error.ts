/**
 * The abort reason of runs still going when their instance's shutdown deadline passes: the run
 * records nothing, and its row is handed back at once (without spending its attempt) for another
 * instance to take.
 */
export class InstanceStoppingError extends Error {
  constructor() {
    super('instance shutting down');
    this.name = 'InstanceStoppingError';
  }
}
