import { Alert, Button, Group, Loader, Menu, Modal, ScrollArea, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Grant } from '@strata/config';
import { useState } from 'react';
import { enc, type ApiClient } from '../api/http';
import { describeError } from '../api/problem';
import type { AdminServer } from '../api/types';
import { TierBadge } from '../components/badges';
import { ServerForm } from '../forms/server-form';
import { EMPTY_SERVER_FORM, formFromServer, notEditableReason } from '../forms/server-form-model';
import { principalLabel, bitsLabel, ShareDialog } from './share-dialog';

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; server: AdminServer }
  | { kind: 'share'; server: AdminServer }
  | { kind: 'delete'; server: AdminServer }
  | { kind: 'demote'; server: AdminServer };

function accessSummary(server: AdminServer): string {
  if (server.grants.length === 0) return 'author and admins only';
  return server.grants.map((grant) => `${principalLabel(grant)} (${bitsLabel(grant.bits)})`).join(', ');
}

/** Every database server: tier, version, updated, who has access; create, edit, share, promote/demote, delete. */
export function AdminServers({ api }: { api: ApiClient }) {
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState<Dialog | undefined>();
  const [actionError, setActionError] = useState<{ name: string; message: string } | undefined>();
  const servers = useQuery({
    queryKey: ['admin', 'servers'],
    queryFn: () => api.get<{ servers: AdminServer[] }>('/api/admin/servers'),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['admin'] });
  const action = useMutation({
    mutationFn: async (work: { name: string; run: () => Promise<unknown> }) => work.run(),
    onMutate: () => setActionError(undefined),
    onError: (error, work) => setActionError({ name: work.name, message: describeError(error) }),
    onSettled: () => void refresh(),
  });
  const close = () => setDialog(undefined);

  return (
    <Stack>
      <Group justify="space-between">
        <Text fw={600} component="h2" size="lg">
          Servers
        </Text>
        <Button onClick={() => setDialog({ kind: 'create' })}>New server</Button>
      </Group>
      {actionError && (
        <Alert
          color="red"
          title={`${actionError.name}: action failed`}
          role="alert"
          withCloseButton
          onClose={() => setActionError(undefined)}
        >
          {actionError.message}
        </Alert>
      )}
      {servers.isPending && <Loader aria-label="Loading servers" />}
      {servers.isError && (
        <Alert color="red" title="Could not load servers" role="alert">
          {describeError(servers.error)}
        </Alert>
      )}
      {servers.data?.servers.length === 0 && <Text c="dimmed">No database servers yet.</Text>}
      {servers.data && servers.data.servers.length > 0 && (
        <ScrollArea type="auto" viewportProps={{ tabIndex: 0 }}>
          <Table striped highlightOnHover miw={760} aria-label="All servers" data-testid="admin-servers">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Tier</Table.Th>
                <Table.Th>Version</Table.Th>
                <Table.Th>Updated</Table.Th>
                <Table.Th>Access</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {servers.data.servers.map((server) => (
                <Table.Tr key={server.name} data-testid={`admin-server-${server.name}`}>
                  <Table.Td>
                    <Text fw={500}>{server.name}</Text>
                    <Text size="xs" c="dimmed">
                      {server.config.type}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <TierBadge tier={server.tier} />
                  </Table.Td>
                  <Table.Td>{server.version}</Table.Td>
                  <Table.Td>{new Date(server.updatedAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{accessSummary(server)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <Button
                          size="xs"
                          variant="default"
                          aria-label={`Actions for ${server.name}`}
                          loading={action.isPending && action.variables?.name === server.name}
                        >
                          Actions
                        </Button>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item onClick={() => setDialog({ kind: 'edit', server })}>Edit</Menu.Item>
                        <Menu.Item onClick={() => setDialog({ kind: 'share', server })}>Share</Menu.Item>
                        {server.tier === 'private' ? (
                          <Menu.Item
                            onClick={() =>
                              action.mutate({
                                name: server.name,
                                run: () => api.send('POST', `/api/admin/servers/${enc(server.name)}/promote`, {}),
                              })
                            }
                          >
                            Promote to shared
                          </Menu.Item>
                        ) : (
                          <Menu.Item onClick={() => setDialog({ kind: 'demote', server })}>Demote to private</Menu.Item>
                        )}
                        <Menu.Divider />
                        <Menu.Item color="red.9" onClick={() => setDialog({ kind: 'delete', server })}>
                          Delete
                        </Menu.Item>
                      </Menu.Dropdown>
                    </Menu>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}

      {dialog?.kind === 'create' && (
        <Modal opened onClose={close} title="New server" size="lg">
          <ServerForm
            mode="create"
            initial={EMPTY_SERVER_FORM}
            onCancel={close}
            onSubmit={async (name, config) => {
              await api.send('POST', '/api/admin/servers', { name, config });
              await refresh();
              close();
            }}
          />
        </Modal>
      )}
      {dialog?.kind === 'edit' && (
        <Modal opened onClose={close} title={`Edit ${dialog.server.name}`} size="lg">
          {notEditableReason(dialog.server.config) ? (
            <Alert color="yellow" title="Edit this server in its config file or through the API">
              It cannot be edited here: {notEditableReason(dialog.server.config)}, and saving would replace them.
            </Alert>
          ) : (
            <ServerForm
              mode="edit"
              initial={formFromServer(dialog.server.name, dialog.server.config)}
              onCancel={close}
              onSubmit={async (name, config) => {
                await api.send('PUT', `/api/admin/servers/${enc(name)}`, { config });
                await refresh();
                close();
              }}
            />
          )}
        </Modal>
      )}
      {dialog?.kind === 'share' && (
        <ShareDialog
          name={dialog.server.name}
          initial={dialog.server.grants}
          onClose={close}
          onSave={async (grants: Grant[]) => {
            await api.send('PUT', `/api/admin/servers/${enc(dialog.server.name)}/access`, { grants });
            await refresh();
          }}
        />
      )}
      {dialog?.kind === 'delete' && (
        <Modal opened onClose={close} title={`Delete ${dialog.server.name}?`}>
          <Stack>
            <Text>Everyone loses it at once and its live connections close. This cannot be undone.</Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={close} data-autofocus>
                Cancel
              </Button>
              <Button
                color="red.9"
                onClick={() => {
                  const name = dialog.server.name;
                  action.mutate({ name, run: () => api.send('DELETE', `/api/admin/servers/${enc(name)}`) });
                  close();
                }}
              >
                Delete {dialog.server.name}
              </Button>
            </Group>
          </Stack>
        </Modal>
      )}
      {dialog?.kind === 'demote' && (
        <DemoteDialog
          server={dialog.server}
          onClose={close}
          onDemote={(userIds) => {
            const name = dialog.server.name;
            action.mutate({ name, run: () => api.send('POST', `/api/admin/servers/${enc(name)}/demote`, { userIds }) });
            close();
          }}
        />
      )}
    </Stack>
  );
}

function DemoteDialog({
  server,
  onClose,
  onDemote,
}: {
  server: AdminServer;
  onClose: () => void;
  onDemote: (userIds: string[]) => void;
}) {
  const [users, setUsers] = useState('');
  return (
    <Modal opened onClose={onClose} title={`Demote ${server.name} to private`}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onDemote(users.split(/[\s,]+/).filter((user) => user !== ''));
        }}
      >
        <Stack>
          <TextInput
            label="Keep it for these users"
            description="Comma-separated user ids; everyone else loses it"
            value={users}
            onChange={(e) => setUsers(e.currentTarget.value)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit">Demote</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
