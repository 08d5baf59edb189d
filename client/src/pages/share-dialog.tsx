import { Alert, Button, Checkbox, Group, Modal, SegmentedControl, Stack, Table, Text, TextInput } from '@mantine/core';
import { parseGrants, PERMISSION, principalKey, type FieldIssue, type Grant } from '@strata/config';
import { useState } from 'react';
import { ApiProblem, describeError } from '../api/problem';

const BITS = [
  ['VIEW', PERMISSION.VIEW],
  ['EDIT', PERMISSION.EDIT],
  ['SHARE', PERMISSION.SHARE],
] as const;

export function bitsLabel(bits: number): string {
  return BITS.filter(([, bit]) => (bits & bit) !== 0)
    .map(([name]) => name)
    .join(' ');
}

export function principalLabel(grant: Grant): string {
  return grant.principal.type === 'public' ? 'everyone' : `${grant.principal.type} ${grant.principal.id}`;
}

/**
 * Who may use a server: users, groups or everyone, each with VIEW/EDIT/SHARE bits. Grants are
 * checked with @strata/config's parseGrants before saving; the API's issues land in the same list.
 */
export function ShareDialog({
  name,
  initial,
  onSave,
  onClose,
}: {
  name: string;
  initial: readonly Grant[];
  onSave: (grants: Grant[]) => Promise<void>;
  onClose: () => void;
}) {
  const [grants, setGrants] = useState<Grant[]>([...initial]);
  const [kind, setKind] = useState<'user' | 'group' | 'public'>('user');
  const [id, setId] = useState('');
  const [bits, setBits] = useState<number>(PERMISSION.VIEW);
  const [issues, setIssues] = useState<readonly FieldIssue[]>([]);
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const add = () => {
    const grant: Grant = {
      principal: kind === 'public' ? { type: 'public' } : { type: kind, id: id.trim() },
      bits,
    };
    const next = [...grants.filter((g) => principalKey(g.principal) !== principalKey(grant.principal)), grant];
    try {
      parseGrants(next);
      setIssues([]);
      setGrants(next);
      setId('');
    } catch (error) {
      setIssues((error as { issues?: FieldIssue[] }).issues ?? [{ path: 'grants', message: describeError(error) }]);
    }
  };
  const save = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      await onSave(parseGrants(grants));
      onClose();
    } catch (error) {
      if (error instanceof ApiProblem && error.issues.length > 0) setIssues(error.issues);
      else setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={onClose} title={`Share ${name}`} size="lg">
      <Stack>
        {failure && (
          <Alert color="red" role="alert" title="Not saved">
            {failure}
          </Alert>
        )}
        {grants.length === 0 ? (
          <Text c="dimmed">Nobody but its author and admins can use this server.</Text>
        ) : (
          <Table aria-label="Grants">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Who</Table.Th>
                <Table.Th>Permissions</Table.Th>
                <Table.Th>
                  <span className="mantine-visually-hidden">Remove</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {grants.map((grant) => (
                <Table.Tr key={principalKey(grant.principal)}>
                  <Table.Td>{principalLabel(grant)}</Table.Td>
                  <Table.Td>{bitsLabel(grant.bits)}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => setGrants(grants.filter((g) => g !== grant))}
                      aria-label={`Remove ${principalLabel(grant)}`}
                    >
                      Remove
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <SegmentedControl
          aria-label="Share with"
          value={kind}
          onChange={(value) => setKind(value as typeof kind)}
          data={[
            { value: 'user', label: 'User' },
            { value: 'group', label: 'Group' },
            { value: 'public', label: 'Everyone' },
          ]}
        />
        {kind !== 'public' && (
          <TextInput
            label={kind === 'user' ? 'User id' : 'Group id'}
            value={id}
            onChange={(e) => setId(e.currentTarget.value)}
            error={issues.find((issue) => /principal/.test(issue.path))?.message}
          />
        )}
        <Group>
          {BITS.map(([label, bit]) => (
            <Checkbox
              key={label}
              label={label}
              checked={(bits & bit) !== 0}
              onChange={(e) => setBits(e.currentTarget.checked ? bits | bit : bits & ~bit)}
            />
          ))}
        </Group>
        {issues
          .filter((issue) => !/principal/.test(issue.path) || kind === 'public')
          .map((issue) => (
            <Text key={issue.path} c="red" size="sm" role="alert">
              {issue.path}: {issue.message}
            </Text>
          ))}
        <Group justify="space-between">
          <Button variant="default" onClick={add}>
            Add grant
          </Button>
          <Group>
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button onClick={() => void save()} loading={busy}>
              Save access
            </Button>
          </Group>
        </Group>
      </Stack>
    </Modal>
  );
}
