import { AppShell, Badge, Burger, Button, Group, NavLink, Stack, Tabs, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, useMemo, useState } from 'react';
import { createApiClient } from './api/http';
import type { SignedInUser } from './api/types';
import { useEventStream } from './events/use-event-stream';
import { EventLog, ImportPanel, InstancesPanel, Metrics } from './pages/admin-misc';
import { AdminServers } from './pages/admin-servers';
import { MyServers } from './pages/my-servers';
import { SignIn } from './pages/sign-in';

const SESSION_KEY = 'strata.session';

interface Session {
  readonly token: string;
  readonly user: SignedInUser;
}

/** The session lives in sessionStorage: this tab only, gone when it closes. */
function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
}

type Page = 'servers' | 'admin';
const pageOf = (hash: string): Page => (hash === '#/admin' ? 'admin' : 'servers');

function useHashPage(): [Page] {
  const [page, setPage] = useState<Page>(() => pageOf(window.location.hash));
  useEffect(() => {
    const onHash = () => setPage(pageOf(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return [page];
}

function SignedIn({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const api = useMemo(() => createApiClient(session.token), [session.token]);
  const events = useEventStream(session.token, session.user.id);
  const [page] = useHashPage();
  const [navOpen, nav] = useDisclosure(false);
  const admin = session.user.role === 'admin';
  const current = admin ? page : 'servers';

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !navOpen } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={navOpen} onClick={nav.toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={2} size="h4">
              Strata
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Badge
              color={events.status === 'open' ? 'green' : 'orange'}
              variant="dot"
              data-testid="stream-status"
              aria-live="polite"
            >
              {events.status === 'open' ? 'live' : events.status}
            </Badge>
            <Text size="sm" visibleFrom="xs" data-testid="whoami">
              {session.user.id}
              {admin ? ' (admin)' : ''}
            </Text>
            <Button size="xs" variant="default" onClick={onSignOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Pages">
        <NavLink
          href="#/"
          label="My servers"
          variant="filled"
          active={current === 'servers'}
          aria-current={current === 'servers' ? 'page' : undefined}
          onClick={nav.close}
        />
        {admin && (
          <NavLink
            href="#/admin"
            label="Admin"
            variant="filled"
            active={current === 'admin'}
            aria-current={current === 'admin' ? 'page' : undefined}
            onClick={nav.close}
          />
        )}
      </AppShell.Navbar>
      <AppShell.Main>
        {events.reconnects > 0 && (
          <Text size="sm" c="dimmed" mb="sm" data-testid="reconnect-note" aria-live="polite">
            Stream reconnected {events.reconnects}× · {events.replayedSinceReconnect} missed event
            {events.replayedSinceReconnect === 1 ? '' : 's'} replayed
          </Text>
        )}
        {current === 'servers' ? (
          <Stack>
            <MyServers api={api} connections={events.connections} toolsGeneration={events.toolsGeneration} />
            <EventLog log={events.log} />
          </Stack>
        ) : (
          <Stack>
            <Title order={1} size="h2">
              Admin
            </Title>
            <Metrics api={api} eventCount={events.log.length} />
            <Tabs defaultValue="servers" keepMounted={false}>
              <Tabs.List>
                <Tabs.Tab value="servers">Servers</Tabs.Tab>
                <Tabs.Tab value="import">Import</Tabs.Tab>
                <Tabs.Tab value="instances">Instances</Tabs.Tab>
                <Tabs.Tab value="events">Events</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="servers" pt="md">
                <AdminServers api={api} />
              </Tabs.Panel>
              <Tabs.Panel value="import" pt="md">
                <ImportPanel api={api} />
              </Tabs.Panel>
              <Tabs.Panel value="instances" pt="md">
                <InstancesPanel api={api} />
              </Tabs.Panel>
              <Tabs.Panel value="events" pt="md">
                <EventLog log={events.log} />
              </Tabs.Panel>
            </Tabs>
          </Stack>
        )}
      </AppShell.Main>
    </AppShell>
  );
}

export function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  if (!session)
    return (
      <SignIn
        onSignedIn={(token, user) => {
          const next = { token, user };
          sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
          setSession(next);
        }}
      />
    );
  return (
    <SignedIn
      key={session.token}
      session={session}
      onSignOut={() => {
        sessionStorage.removeItem(SESSION_KEY);
        setSession(undefined);
      }}
    />
  );
}
