import type { ComponentChildren } from 'preact';
import { useApp } from '../api/hooks';
import { Link, navigate, useRoute } from '../router';

/** The frame of every page: a skip link, the navigation, the signed-in user, the content. */
export function Layout(props: { children: ComponentChildren }) {
  const { me, session } = useApp();
  const { path } = useRoute();
  const current = (prefix: string) => (path === prefix || (prefix !== '/' && path.startsWith(prefix + '/')) ? 'page' : undefined);
  const signOut = async () => {
    await session.signOut().catch(() => undefined);
    navigate('/sign-in');
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link to="/" class="brand">
          Herald
        </Link>
        {me && (
          <nav aria-label="Main">
            <Link to="/" aria-current={current('/') ?? current('/tenants')}>Tenants</Link>
            <Link to="/invitations" aria-current={current('/invitations')}>Invitations</Link>
            <Link to="/account" aria-current={current('/account')}>Account</Link>
            {me.isPlatformAdmin && (
              <Link to="/admin" aria-current={current('/admin')}>Platform</Link>
            )}
            <Link to="/explorer" aria-current={current('/explorer')}>Explorer</Link>
          </nav>
        )}
        {me && (
          <div class="who">
            <span>{me.name}</span>
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" class={path === '/explorer' ? 'wide' : undefined}>
        {props.children}
      </main>
    </>
  );
}
