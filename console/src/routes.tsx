import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { useApp } from './api/hooks';
import { match, navigate, useRoute } from './router';
import { AccountPage } from './pages/account';
import { AdminPage } from './pages/admin';
import { ExplorerPage } from './pages/explorer';
import { AcceptInvitationPage, ResetPasswordPage, VerifyEmailPage } from './pages/email-links';
import { MyInvitationsPage } from './pages/my-invitations';
import { ForgotPasswordPage, SignInPage, SignUpPage } from './pages/sign-in';
import { NewTenantPage } from './pages/new-tenant';
import { TenantPage } from './pages/tenant';
import { TenantsPage } from './pages/tenants';
import { Page } from './ui/page';

/** Pages anyone may open: the sign-in pages and where emailed links land. */
const PUBLIC: Record<string, () => JSX.Element> = {
  '/sign-in': SignInPage,
  '/sign-up': SignUpPage,
  '/forgot-password': ForgotPasswordPage,
  '/verify-email': VerifyEmailPage,
  '/reset-password': ResetPasswordPage,
  '/invitations/accept': AcceptInvitationPage,
};

export function Routes() {
  const { me } = useApp();
  const { path, query } = useRoute();
  const Public = PUBLIC[path];
  const mustSignIn = !Public && !me;
  useEffect(() => {
    if (mustSignIn) navigate(`/sign-in?next=${encodeURIComponent(path + (query.size ? `?${query}` : ''))}`, { replace: true });
  }, [mustSignIn, path, query]);
  if (Public) return <Public />;
  if (!me) return null;

  if (path === '/' || path === '/tenants') return <TenantsPage />;
  if (path === '/tenants/new') return <NewTenantPage />;
  const tenant = match('/tenants/:id/:tab?', path);
  if (tenant) return <TenantPage id={tenant.id} tab={tenant.tab ?? 'events'} />;
  if (path === '/invitations') return <MyInvitationsPage />;
  if (path === '/account') return <AccountPage />;
  if (path === '/admin' && me.isPlatformAdmin) return <AdminPage />;
  if (path === '/explorer') return <ExplorerPage />;
  return (
    <Page title="Page not found">
      <p>There is no page at this address. Go back to your tenants.</p>
    </Page>
  );
}
