/**
 * Raised inside `ctx.complete` when another instance has taken the delivery over (our lease
 * expired): the listener's effect was rolled back and the delivery is the other instance's now.
 */
export class LeaseLostError extends Error {
  constructor(deliveryId: string) {
    super(`delivery ${deliveryId} was taken over; effect rolled back`);
    this.name = 'LeaseLostError';
  }
}
