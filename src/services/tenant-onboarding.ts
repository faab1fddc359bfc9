import type { EntityManager } from 'typeorm';
import { Tenant, type OnboardingStep } from '../entities/tenant';

/**
 * The onboarding workflow: each step is one listener, triggered by the previous step's event.
 * The runtime keys retries and dead deliveries by listener name, so this map is how a dead
 * delivery is traced back to its step (and how a retry finds the dead step).
 */
export const ONBOARDING_LISTENERS: Readonly<Record<OnboardingStep, string>> = {
  PROVISION_SCHEMA: 'provision-tenant-schema', // on tenant.created
  SETUP_ADMIN_USER: 'setup-tenant-admin', // on tenant.database.created
  CONFIGURE_SETTINGS: 'configure-tenant-settings', // on tenant.onboarding.setup_admin_user
  SEND_SETUP_GUIDE: 'send-setup-guide', // on tenant.onboarding.configure_settings
  COMPLETE: 'complete-tenant-onboarding', // on tenant.onboarding.send_setup_guide
};

/** The step a listener runs, or null when it is not an onboarding listener. */
export function onboardingStepOf(listener: string): OnboardingStep | null {
  const entry = Object.entries(ONBOARDING_LISTENERS).find(([, name]) => name === listener);
  return entry ? (entry[0] as OnboardingStep) : null;
}

/**
 * Locks the tenant row for a step and returns it when the step should act: while the tenant is
 * PROVISIONING, or FAILED (its dead step was put back in line, e.g. by `retryDelivery`). For a
 * tenant deleted meanwhile it returns null and the step does nothing. The lock orders each step
 * against the purge, which takes it too: no schema is created after the purge dropped it.
 */
export async function lockOnboardingTenant(manager: EntityManager, tenantId: string): Promise<Tenant | null> {
  const tenant = await manager
    .createQueryBuilder(Tenant, 't')
    .setLock('pessimistic_write')
    .where('t.id = :tenantId', { tenantId })
    .getOne();
  return tenant && (tenant.status === 'PROVISIONING' || tenant.status === 'FAILED') ? tenant : null;
}

/** Records that a step is done: the tenant moves on to `next`, PROVISIONING again if it had failed. */
export async function advanceOnboarding(manager: EntityManager, tenantId: string, next: OnboardingStep): Promise<void> {
  await manager.update(
    Tenant,
    { id: tenantId },
    { onboardingStep: next, status: 'PROVISIONING', onboardingError: null, updatedAt: () => 'now()' },
  );
}

export interface OnboardingView {
  step: OnboardingStep;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  completedAt: Date | null;
  error: string | null;
}

/**
 * A tenant's onboarding progress as the API shows it. The reason of a failure is a listener's
 * last error, which may name internals: platform admins read it, members a plain explanation.
 */
export function onboardingOf(tenant: Tenant, showInternals: boolean): OnboardingView {
  const step = tenant.onboardingStep ?? 'PROVISION_SCHEMA';
  const status = tenant.onboardingCompletedAt ? 'COMPLETED' : tenant.status === 'FAILED' ? 'FAILED' : 'IN_PROGRESS';
  const error =
    status !== 'FAILED'
      ? null
      : showInternals
        ? (tenant.onboardingError ?? 'unknown')
        : `Setting up your workspace stopped at the step ${step}. The platform team has been told and can resume it.`;
  return { step, status, completedAt: tenant.onboardingCompletedAt, error };
}
