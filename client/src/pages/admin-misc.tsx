import {
  Alert,
  Badge,
  Button,
  Card,
  FileInput,
  Group,
  Loader,
  ScrollArea,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ApiClient } from '../api/http';
import { describeError } from '../api/problem';
import type { AdminServer, ImportAnswer, InstanceView } from '../api/types';
import type { LogEntry } from '../events/event-reducer';

type ImportFormat = 'librechat' | 'claude-desktop' | 'strata';

/** The format a file name suggests. */
export function formatOf(fileName: string): ImportFormat {
  if (/\.json$/i.test(fileName)) return 'claude-desktop';
  if (/strata/i.test(fileName)) return 'strata';
  return 'librechat';
}

/** Import a librechat.yaml / claude_desktop_config.json / strata.yaml: preview (dry run), then import. */
export function ImportPanel({ api }: { api: ApiClient }) {
  const queryClient = useQueryClient();
  const [format, setFormat] = useState<ImportFormat>('librechat');
  const [content, setContent] = useState('');
  const [preview, setPreview] = useState<{ answer: ImportAnswer; dryRun: boolean } | undefined>();
  const run = useMutation({
    mutationFn: async (dryRun: boolean) => ({
      dryRun,
      answer: await api.send<ImportAnswer>('POST', '/api/admin/import', { format, content, dryRun }),
    }),
    onSuccess: (result) => {
      setPreview(result);
      if (!result.dryRun) void queryClient.invalidateQueries({ queryKey: ['admin'] });
    },
  });
  return (
    <Stack>
      <Text fw={600} component="h2" size="lg">
        Import
      </Text>
      <Group align="flex-end" wrap="wrap">
        <FileInput
          label="Config file"
          placeholder="librechat.yaml or claude_desktop_config.json"
          accept=".yaml,.yml,.json"
          onChange={(file) => {
            if (!file) return;
            setFormat(formatOf(file.name));
            void file.text().then((text) => {
              setContent(text);
              setPreview(undefined);
            });
          }}
          w={320}
        />
        <Select
          label="Format"
          value={format}
          allowDeselect={false}
          onChange={(value) => value && setFormat(value as ImportFormat)}
          data={[
            { value: 'librechat', label: 'librechat.yaml' },
            { value: 'claude-desktop', label: 'claude_desktop_config.json' },
            { value: 'strata', label: 'strata.yaml' },
          ]}
        />
      </Group>
      <Textarea
        label="File content"
        value={content}
        onChange={(e) => {
          setContent(e.currentTarget.value);
          setPreview(undefined);
        }}
        autosize
        minRows={4}
        maxRows={14}
        styles={{ input: { fontFamily: 'monospace' } }}
      />
      <Group>
        <Button
          variant="default"
          onClick={() => run.mutate(true)}
          disabled={content.trim() === ''}
          loading={run.isPending && run.variables}
        >
          Preview
        </Button>
        <Button
          onClick={() => run.mutate(false)}
          disabled={!preview?.dryRun || preview.answer.created + preview.answer.updated === 0}
          loading={run.isPending && !run.variables}
        >
          Import
        </Button>
      </Group>
      {run.isError && (
        <Alert color="red" title="Import refused" role="alert">
          {describeError(run.error)}
        </Alert>
      )}
      {preview && (
        <Stack gap="xs" data-testid="import-preview">
          <Text size="sm">
            {preview.dryRun ? 'Would create' : 'Created'} {preview.answer.created},{' '}
            {preview.dryRun ? 'would update' : 'updated'} {preview.answer.updated}, unchanged {preview.answer.unchanged}
            , refused {preview.answer.refused}
          </Text>
          <Table aria-label="Import preview">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Server</Table.Th>
                <Table.Th>Outcome</Table.Th>
                <Table.Th>Why</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {preview.answer.results.map((result) => (
                <Table.Tr key={result.name}>
                  <Table.Td>{result.name}</Table.Td>
                  <Table.Td>{result.outcome}</Table.Td>
                  <Table.Td>{result.error ? `${result.error.code}: ${result.error.message}` : ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      )}
    </Stack>
  );
}

export function InstancesPanel({ api }: { api: ApiClient }) {
  const instances = useQuery({
    queryKey: ['admin', 'instances'],
    queryFn: () => api.get<{ instances: InstanceView[] }>('/api/admin/instances'),
    refetchInterval: 5_000,
  });
  return (
    <Stack>
      <Text fw={600} component="h2" size="lg">
        Instances
      </Text>
      {instances.isPending && <Loader aria-label="Loading instances" />}
      {instances.isError && (
        <Alert color="red" title="Could not list instances" role="alert">
          {describeError(instances.error)}
        </Alert>
      )}
      {instances.isSuccess && (
        <ScrollArea type="auto" viewportProps={{ tabIndex: 0 }}>
          <Table miw={640} aria-label="Instances">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Instance</Table.Th>
                <Table.Th>URL</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th>Connections</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {instances.data.instances.map((instance) => (
                <Table.Tr key={instance.instanceId}>
                  <Table.Td>{instance.instanceId}</Table.Td>
                  <Table.Td>{instance.url ?? ''}</Table.Td>
                  <Table.Td>{new Date(instance.startedAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    {instance.connections.length === 0
                      ? 'none'
                      : instance.connections
                          .map(
                            (c) =>
                              `${c.name} (${c.scope.kind}${c.scope.userId ? ` ${c.scope.userId}` : ''}${c.scope.sessionId ? `/${c.scope.sessionId}` : ''}): ${c.state}`,
                          )
                          .join(', ')}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}
    </Stack>
  );
}

/** One line for a public event (names, tiers, users: events never carry a config). */
export function describeEvent(entry: LogEntry): string {
  const e = entry.event;
  switch (e.type) {
    case 'server.changed':
      return `${e.name} (${e.tier}) ${e.change === 'put' ? 'written' : 'removed'}, version ${e.version}`;
    case 'tier.replaced':
      return `${e.tier} tier replaced, version ${e.version}`;
    case 'access.changed':
      return `access changed for ${e.userIds.join(', ') || 'nobody'}`;
    case 'user.loaded':
      return `${e.userId} signed in (servers loaded)`;
    case 'user.load-failed':
      return `loading ${e.userId}'s servers failed: ${e.reason}`;
    case 'tools.changed':
      return `${e.name}: tool list changed`;
    case 'connection.state':
      return `${e.name} ${e.scope.kind}${'userId' in e.scope ? ` ${e.scope.userId}` : ''}: ${e.state}${e.reason ? ` (${e.reason})` : ''}`;
  }
}

export function EventLog({ log }: { log: readonly LogEntry[] }) {
  return (
    <Stack>
      <Text fw={600} component="h2" size="lg">
        Live events
      </Text>
      {log.length === 0 ? (
        <Text c="dimmed">No events since this page opened.</Text>
      ) : (
        <ScrollArea h={360} type="auto" viewportProps={{ tabIndex: 0 }}>
          <Table aria-label="Live events" data-testid="event-log">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Id</Table.Th>
                <Table.Th>Event</Table.Th>
                <Table.Th>What</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {log.map((entry) => (
                <Table.Tr key={entry.id}>
                  <Table.Td>
                    <Text size="xs" ff="monospace">
                      {entry.id}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {entry.event.type}{' '}
                    {entry.replayed && (
                      <Badge size="xs" variant="filled" color="gray">
                        replayed
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{describeEvent(entry)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}
    </Stack>
  );
}

/** Reads one Prometheus sample (sum over label sets) from /metrics text. */
export function metricValue(text: string, name: string, labels?: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels && !rest.includes(labels)) continue;
    const value = Number(line.split(' ').pop());
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

export function Metrics({ api, eventCount }: { api: ApiClient; eventCount: number }) {
  const servers = useQuery({
    queryKey: ['admin', 'servers'],
    queryFn: () => api.get<{ servers: AdminServer[] }>('/api/admin/servers'),
  });
  const instances = useQuery({
    queryKey: ['admin', 'instances'],
    queryFn: () => api.get<{ instances: InstanceView[] }>('/api/admin/instances'),
    refetchInterval: 5_000,
  });
  const metrics = useQuery({
    queryKey: ['metrics'],
    queryFn: async () => (await fetch('/metrics')).text(),
    refetchInterval: 5_000,
  });
  const list = servers.data?.servers ?? [];
  const cards: Array<[string, string]> = [
    ['Database servers', servers.isSuccess ? String(list.length) : '…'],
    [
      'Shared / private',
      servers.isSuccess
        ? `${list.filter((s) => s.tier === 'shared').length} / ${list.filter((s) => s.tier === 'private').length}`
        : '…',
    ],
    ['Live instances', instances.isSuccess ? String(instances.data.instances.length) : '…'],
    [
      'Connections (all instances)',
      instances.isSuccess ? String(instances.data.instances.reduce((n, i) => n + i.connections.length, 0)) : '…',
    ],
    [
      'Logins loaded (this instance)',
      metrics.isSuccess ? String(metricValue(metrics.data, 'strata_loads_total') ?? 0) : '…',
    ],
    ['Events seen (this page)', String(eventCount)],
  ];
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} data-testid="metrics">
      {cards.map(([label, value]) => (
        <Card key={label} withBorder padding="sm">
          <Text size="xs" c="dimmed">
            {label}
          </Text>
          <Text fw={700} size="xl">
            {value}
          </Text>
        </Card>
      ))}
    </SimpleGrid>
  );
}
