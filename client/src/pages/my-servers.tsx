import { Accordion, Alert, Button, Code, Group, Loader, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { enc, type ApiClient } from '../api/http';
import { describeError } from '../api/problem';
import type { ServerView, ToolsAnswer, ToolView } from '../api/types';
import { StateBadge, TierBadge } from '../components/badges';

/** Parses the JSON arguments box: an object, or a message saying why not. */
export function parseArguments(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return { ok: false, message: 'arguments must be a JSON object' };
    return { ok: true, value: value as Record<string, unknown> };
  } catch (error) {
    return { ok: false, message: `not JSON: ${error instanceof Error ? error.message : 'parse error'}` };
  }
}

function ToolCallForm({
  api,
  server,
  tool,
  perSession,
}: {
  api: ApiClient;
  server: string;
  tool: ToolView;
  perSession: boolean;
}) {
  const [args, setArgs] = useState('{}');
  const [session, setSession] = useState('chat-1');
  const [argsError, setArgsError] = useState<string | undefined>();
  const call = useMutation({
    mutationFn: (body: { arguments: Record<string, unknown> }) =>
      api.send<{ result: unknown }>(
        'POST',
        perSession
          ? `/api/sessions/${enc(session)}/servers/${enc(server)}/tools/${enc(tool.name)}/call`
          : `/api/servers/${enc(server)}/tools/${enc(tool.name)}/call`,
        body,
      ),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseArguments(args);
    if (!parsed.ok) {
      setArgsError(parsed.message);
      return;
    }
    setArgsError(undefined);
    call.mutate({ arguments: parsed.value });
  };
  return (
    <form onSubmit={submit} aria-label={`Call ${tool.name} on ${server}`}>
      <Stack gap="xs">
        {perSession && (
          <TextInput
            label="Chat session"
            description="perSession server: each chat session gets its own connection"
            value={session}
            onChange={(e) => setSession(e.currentTarget.value)}
          />
        )}
        <Textarea
          label={`Arguments for ${tool.name} (JSON)`}
          value={args}
          onChange={(e) => setArgs(e.currentTarget.value)}
          error={argsError}
          autosize
          minRows={2}
          styles={{ input: { fontFamily: 'monospace' } }}
        />
        <Group>
          <Button type="submit" size="xs" loading={call.isPending}>
            Call {tool.name}
          </Button>
        </Group>
        {call.isError && (
          <Alert color="red" title="Tool call failed" role="alert">
            {describeError(call.error)}
          </Alert>
        )}
        {call.isSuccess && (
          <div>
            <Text size="sm" fw={500}>
              Result
            </Text>
            <Code block tabIndex={0} data-testid="tool-result">
              {JSON.stringify(call.data.result, null, 2)}
            </Code>
          </div>
        )}
      </Stack>
    </form>
  );
}

function ServerTools({ api, server, generation }: { api: ApiClient; server: ServerView; generation: number }) {
  const tools = useQuery({
    queryKey: ['tools', server.name, server.version, generation],
    queryFn: () => api.get<ToolsAnswer>(`/api/servers/${enc(server.name)}/tools`),
  });
  if (tools.isPending) return <Loader size="sm" aria-label="Loading tools" />;
  if (tools.isError)
    return (
      <Alert color="red" title="Could not list tools" role="alert">
        {describeError(tools.error)}
      </Alert>
    );
  if (tools.data.tools.length === 0)
    return <Text c="dimmed">{tools.data.error ? `No tools: ${tools.data.error}` : 'This server lists no tools.'}</Text>;
  return (
    <Stack>
      {tools.data.tools.map((tool) => (
        <Stack key={tool.name} gap={4} data-testid={`tool-${tool.name}`}>
          <Title order={4} size="h5">
            {tool.name}
          </Title>
          {tool.description && <Text size="sm">{tool.description}</Text>}
          <Text size="xs" c="dimmed">
            Input schema
          </Text>
          <Code block tabIndex={0}>
            {JSON.stringify(tool.inputSchema ?? {}, null, 2)}
          </Code>
          <ToolCallForm api={api} server={server.name} tool={tool} perSession={server.config.perSession} />
        </Stack>
      ))}
    </Stack>
  );
}

/** The signed-in user's effective servers, live: the event stream refetches the list when it changes. */
export function MyServers({
  api,
  connections,
  toolsGeneration,
}: {
  api: ApiClient;
  connections: Readonly<Record<string, string>>;
  toolsGeneration: Readonly<Record<string, number>>;
}) {
  const [open, setOpen] = useState<string | null>(null);
  const servers = useQuery({
    queryKey: ['servers'],
    queryFn: () => api.get<{ servers: ServerView[] }>('/api/servers'),
  });
  return (
    <Stack>
      <Title order={1} size="h2">
        My servers
      </Title>
      {servers.isPending && <Loader aria-label="Loading servers" />}
      {servers.isError && (
        <Alert
          color="red"
          title={servers.data ? 'Could not refresh your servers' : 'Could not load your servers'}
          role="alert"
        >
          {describeError(servers.error)}
        </Alert>
      )}
      {servers.data?.servers.length === 0 && <Text c="dimmed">No MCP servers are shared with you yet.</Text>}
      {servers.data && servers.data.servers.length > 0 && (
        <Accordion variant="separated" value={open} onChange={setOpen} aria-label="Servers" data-testid="server-list">
          {servers.data.servers.map((server) => (
            <Accordion.Item key={server.name} value={server.name} data-testid={`server-${server.name}`}>
              <Accordion.Control>
                <Group gap="sm" wrap="wrap">
                  <Text fw={600}>{server.name}</Text>
                  <TierBadge tier={server.tier} />
                  <StateBadge state={connections[server.name] ?? server.connection} />
                  <Text size="sm" c="dimmed">
                    {server.config.title ?? server.config.type}
                    {server.config.perSession ? ' · per chat session' : ''}
                  </Text>
                </Group>
              </Accordion.Control>
              <Accordion.Panel>
                <Stack gap="xs">
                  <Text size="sm">
                    {server.config.type}
                    {'url' in server.config ? ` · ${server.config.url}` : ''}
                    {server.config.type === 'stdio' ? ` · ${server.config.command}` : ''} · version {server.version}
                  </Text>
                  {server.config.description && <Text size="sm">{server.config.description}</Text>}
                  {open === server.name && (
                    <ServerTools api={api} server={server} generation={toolsGeneration[server.name] ?? 0} />
                  )}
                </Stack>
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      )}
    </Stack>
  );
}
