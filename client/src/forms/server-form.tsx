import { Alert, Button, Checkbox, Group, Select, Stack, Textarea, TextInput } from '@mantine/core';
import { SERVER_TYPES, type FieldIssue, type ServerType } from '@strata/config';
import { useState, type FormEvent } from 'react';
import { ApiProblem, describeError } from '../api/problem';
import { configFromForm, issuesByField, validateServerForm, type ServerFormValues } from './server-form-model';

export interface ServerFormProps {
  readonly initial: ServerFormValues;
  /** Editing keeps the name. */
  readonly mode: 'create' | 'edit';
  /** Sends the name and config; a rejected promise with an ApiProblem shows its field issues. */
  readonly onSubmit: (name: string, config: Record<string, unknown>) => Promise<void>;
  readonly onCancel: () => void;
}

/**
 * Create/edit a server. Checked in the browser with the API's own schema before sending; the API's
 * problem answer (same paths) lands on the same fields, so there is one source of field errors.
 */
export function ServerForm({ initial, mode, onSubmit, onCancel }: ServerFormProps) {
  const [values, setValues] = useState<ServerFormValues>(initial);
  const [issues, setIssues] = useState<readonly FieldIssue[]>([]);
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const { fields, other } = issuesByField(issues);
  const set = <K extends keyof ServerFormValues>(key: K, value: ServerFormValues[K]) =>
    setValues((current) => ({ ...current, [key]: value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    const found = validateServerForm(values, { checkName: mode === 'create' });
    setIssues(found);
    if (found.length > 0) return;
    setBusy(true);
    try {
      await onSubmit(values.name, configFromForm(values));
    } catch (error) {
      if (error instanceof ApiProblem && error.issues.length > 0) setIssues(error.issues);
      else setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  };

  const remote = values.type !== 'stdio';
  return (
    <form
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-label={mode === 'create' ? 'Create server' : 'Edit server'}
    >
      <Stack gap="sm">
        {failure && (
          <Alert color="red" title="Not saved" role="alert">
            {failure}
          </Alert>
        )}
        {other.length > 0 && (
          <Alert color="red" title="Fix these fields" role="alert">
            {other.map((issue) => (
              <div key={issue.path}>
                {issue.path}: {issue.message}
              </div>
            ))}
          </Alert>
        )}
        <TextInput
          label="Name"
          required
          disabled={mode === 'edit'}
          value={values.name}
          onChange={(event) => set('name', event.currentTarget.value)}
          error={fields.name}
          description="Letters, digits, - and _; unique across tiers"
        />
        <Select
          label="Transport"
          data={SERVER_TYPES.map((type) => ({ value: type, label: type }))}
          value={values.type}
          onChange={(value) => value && set('type', value as ServerType)}
          allowDeselect={false}
          error={fields.type}
        />
        {remote ? (
          <TextInput
            label="URL"
            required
            value={values.url}
            onChange={(event) => set('url', event.currentTarget.value)}
            error={fields.url}
            placeholder={values.type === 'websocket' ? 'wss://host/mcp' : 'https://host/mcp'}
          />
        ) : (
          <>
            <TextInput
              label="Command"
              required
              value={values.command}
              onChange={(event) => set('command', event.currentTarget.value)}
              error={fields.command}
            />
            <Textarea
              label="Arguments (one per line)"
              autosize
              minRows={2}
              value={values.args}
              onChange={(event) => set('args', event.currentTarget.value)}
              error={fields.args}
            />
          </>
        )}
        <TextInput
          label="Title"
          value={values.title}
          onChange={(e) => set('title', e.currentTarget.value)}
          error={fields.title}
        />
        <TextInput
          label="Description"
          value={values.description}
          onChange={(e) => set('description', e.currentTarget.value)}
          error={fields.description}
        />
        <TextInput
          label="Timeout (ms)"
          inputMode="numeric"
          value={values.timeout}
          onChange={(e) => set('timeout', e.currentTarget.value)}
          error={fields.timeout}
        />
        <Checkbox
          label="One connection per chat session (perSession)"
          checked={values.perSession}
          onChange={(e) => set('perSession', e.currentTarget.checked)}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {mode === 'create' ? 'Create' : 'Save'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
