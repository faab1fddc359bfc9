import { render } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { App, type AppContext } from './api/hooks';
import { liveClient } from './api/live';
import { Session } from './api/session';
import { MeDocument, type MeQuery } from './generated/graphql';
import { Layout } from './ui/layout';
import { Routes } from './routes';
import './styles.css';

function Console() {
  const session = useMemo(() => new Session(), []);
  const live = useMemo(() => liveClient(session), [session]);
  const [me, setMe] = useState<MeQuery['me'] | undefined>(undefined);

  const reloadMe = useCallback(async () => {
    if (!session.user) return setMe(null);
    try {
      setMe((await session.request(MeDocument, {})).me);
    } catch {
      setMe(null);
    }
  }, [session]);

  useEffect(() => {
    const off = session.onChange(() => {
      void reloadMe();
      // Sockets opened for the previous user must not outlive their session.
      if (!session.user) live.terminate();
    });
    session.restore().catch(() => undefined).finally(() => void reloadMe());
    return off;
  }, [session, live, reloadMe]);

  const context: AppContext = { session, live, me: me ?? null, reloadMe };
  return (
    <App.Provider value={context}>
      <Layout>{me === undefined ? <p class="muted" role="status">Loading…</p> : <Routes />}</Layout>
    </App.Provider>
  );
}

render(<Console />, document.getElementById('app')!);
