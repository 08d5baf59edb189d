import { Alert, Button, Center, Divider, Paper, Stack, Textarea, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { createApiClient, devLogin } from '../api/http';
import { describeError } from '../api/problem';
import type { SignedInUser } from '../api/types';

/** Sign-in: the dev sign-in (when the server enables it) or a pasted bearer token. */
export function SignIn({ onSignedIn }: { onSignedIn: (token: string, user: SignedInUser) => void }) {
  const [username, setUsername] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const finish = async (bearer: string) => {
    // The login hook: loads the user's private servers and says who the token belongs to.
    const answer = await createApiClient(bearer).send<{ user: SignedInUser }>('POST', '/api/auth/login', {});
    onSignedIn(bearer, answer.user);
  };
  const run = (work: () => Promise<void>) => async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      await work();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" w="100%" maw={420} component="main">
        <Stack>
          <Title order={1} size="h2">
            Sign in to Strata
          </Title>
          {error && (
            <Alert color="red" title="Sign-in failed" role="alert">
              {error}
            </Alert>
          )}
          <form onSubmit={(e) => void run(async () => finish((await devLogin(username.trim())).token))(e)}>
            <Stack gap="xs">
              <TextInput
                label="Username (dev sign-in)"
                value={username}
                onChange={(e) => setUsername(e.currentTarget.value)}
                autoComplete="username"
                required
              />
              <Button type="submit" loading={busy} disabled={username.trim() === ''}>
                Dev sign-in
              </Button>
            </Stack>
          </form>
          <Divider label="or" labelPosition="center" />
          <form onSubmit={(e) => void run(() => finish(token.trim()))(e)}>
            <Stack gap="xs">
              <Textarea
                label="Bearer token"
                description="A JWT your host issued; kept for this tab only"
                value={token}
                onChange={(e) => setToken(e.currentTarget.value)}
                autosize
                minRows={2}
                styles={{ input: { fontFamily: 'monospace' } }}
              />
              <Button type="submit" variant="default" loading={busy} disabled={token.trim() === ''}>
                Use token
              </Button>
            </Stack>
          </form>
        </Stack>
      </Paper>
    </Center>
  );
}
