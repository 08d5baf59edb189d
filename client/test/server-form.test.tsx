import { MantineProvider } from '@mantine/core';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiProblem } from '../src/api/problem';
import { ServerForm } from '../src/forms/server-form';
import { EMPTY_SERVER_FORM, validateServerForm } from '../src/forms/server-form-model';

function renderForm(onSubmit: (name: string, config: Record<string, unknown>) => Promise<void>) {
  render(
    <MantineProvider>
      <ServerForm mode="create" initial={EMPTY_SERVER_FORM} onSubmit={onSubmit} onCancel={() => {}} />
    </MantineProvider>,
  );
}

describe('ServerForm', () => {
  it('an invalid URL and name are field errors from the @strata/config schema; nothing is sent', async () => {
    const onSubmit = jest.fn(() => Promise.resolve());
    renderForm(onSubmit);
    await userEvent.type(screen.getByLabelText(/^Name/), 'bad name!');
    await userEvent.type(screen.getByLabelText(/^URL/), 'not a url');
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    const expected = validateServerForm(
      { ...EMPTY_SERVER_FORM, name: 'bad name!', url: 'not a url' },
      { checkName: true },
    );
    const urlMessage = expected.find((issue) => issue.path === 'config.url')!.message;
    const nameMessage = expected.find((issue) => issue.path === 'name')!.message;
    expect(screen.getByLabelText(/^URL/)).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText(urlMessage)).toBeInTheDocument();
    expect(screen.getByText(nameMessage)).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('a valid form sends the name and the config the schema accepts', async () => {
    const onSubmit = jest.fn(() => Promise.resolve());
    renderForm(onSubmit);
    await userEvent.type(screen.getByLabelText(/^Name/), 'wiki');
    await userEvent.type(screen.getByLabelText(/^URL/), 'https://wiki.example/mcp');
    await userEvent.type(screen.getByLabelText(/^Timeout/), '5000');
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit).toHaveBeenCalledWith('wiki', {
      type: 'streamable-http',
      url: 'https://wiki.example/mcp',
      timeout: 5000,
    });
  });

  it("the API's problem issues land on the same fields", async () => {
    renderForm(() =>
      Promise.reject(new ApiProblem(409, 'NAME_RESERVED', 'taken', [{ path: 'name', message: 'is an app server' }])),
    );
    await userEvent.type(screen.getByLabelText(/^Name/), 'github');
    await userEvent.type(screen.getByLabelText(/^URL/), 'https://gh.example/mcp');
    await userEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(await screen.findByText('is an app server')).toBeInTheDocument();
    expect(screen.getByLabelText(/^Name/)).toHaveAttribute('aria-invalid', 'true');
  });

  it('a stdio server needs a command', () => {
    const issues = validateServerForm({ ...EMPTY_SERVER_FORM, name: 'local', type: 'stdio' }, { checkName: true });
    expect(issues.map((issue) => issue.path)).toEqual(['config.command']);
  });
});
