import {
  parseServerConfig,
  serverNameProblem,
  type BrowserServerConfig,
  type FieldIssue,
  type ServerType,
} from '@strata/config';

/** What the create/edit form holds: strings as typed. */
export interface ServerFormValues {
  name: string;
  type: ServerType;
  title: string;
  description: string;
  url: string;
  command: string;
  /** One argument per line. */
  args: string;
  timeout: string;
  perSession: boolean;
}

export const EMPTY_SERVER_FORM: ServerFormValues = {
  name: '',
  type: 'streamable-http',
  title: '',
  description: '',
  url: '',
  command: '',
  args: '',
  timeout: '',
  perSession: false,
};

/** The config object the form stands for: only fields the user filled in, as the API takes it. */
export function configFromForm(values: ServerFormValues): Record<string, unknown> {
  const config: Record<string, unknown> = { type: values.type };
  if (values.title.trim()) config['title'] = values.title.trim();
  if (values.description.trim()) config['description'] = values.description.trim();
  if (values.timeout.trim()) config['timeout'] = Number(values.timeout.trim());
  if (values.perSession) config['perSession'] = true;
  if (values.type === 'stdio') {
    config['command'] = values.command.trim();
    const args = values.args.split('\n').filter((line) => line.trim() !== '');
    if (args.length > 0) config['args'] = args;
  } else {
    config['url'] = values.url.trim();
  }
  return config;
}

/** Form values from a server as the browser sees it (sanitised). */
export function formFromServer(name: string, config: BrowserServerConfig): ServerFormValues {
  return {
    name,
    type: config.type,
    title: config.title ?? '',
    description: config.description ?? '',
    url: 'url' in config ? config.url : '',
    command: config.type === 'stdio' ? config.command : '',
    args: config.type === 'stdio' ? config.args.join('\n') : '',
    timeout: config.timeout === undefined ? '' : String(config.timeout),
    perSession: config.perSession,
  };
}

/**
 * Why a server cannot be edited from the browser: it holds values the API never sends (env values,
 * header values, masked arguments), and saving the form would replace them. Undefined when it can.
 */
export function notEditableReason(config: BrowserServerConfig): string | undefined {
  if (config.type === 'stdio' && config.envKeys.length > 0) return 'it sets environment values the browser never sees';
  if ((config.type === 'sse' || config.type === 'streamable-http') && config.headerNames.length > 0)
    return 'it sends headers whose values the browser never sees';
  if (config.type === 'stdio' && config.args.some((arg) => arg.includes('***')))
    return 'some of its arguments are masked';
  return undefined;
}

/**
 * Validates the form with the same schema the API uses (`parseServerConfig` of @strata/config,
 * paths prefixed `config` like the API's answers) and the server-name rules. Empty: valid.
 */
export function validateServerForm(values: ServerFormValues, options: { checkName: boolean }): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (options.checkName) {
    const problem = serverNameProblem(values.name);
    if (problem) issues.push({ path: 'name', message: problem });
  }
  try {
    parseServerConfig(configFromForm(values), { pathPrefix: 'config' });
  } catch (error) {
    const list = (error as { issues?: readonly FieldIssue[] }).issues;
    if (Array.isArray(list)) issues.push(...(list as FieldIssue[]));
    else throw error;
  }
  return issues;
}

/** The form field an issue path belongs to (`config.args.2` → `args`); undefined: shown above the form. */
export function fieldOf(path: string): keyof ServerFormValues | undefined {
  if (path === 'name') return 'name';
  const match = /^config\.([A-Za-z]+)/.exec(path);
  const field = match?.[1];
  if (field && field in EMPTY_SERVER_FORM && field !== 'name') return field as keyof ServerFormValues;
  return undefined;
}

/** Issues grouped by field (first message per field), and the rest. */
export function issuesByField(issues: readonly FieldIssue[]): {
  fields: Partial<Record<keyof ServerFormValues, string>>;
  other: FieldIssue[];
} {
  const fields: Partial<Record<keyof ServerFormValues, string>> = {};
  const other: FieldIssue[] = [];
  for (const issue of issues) {
    const field = fieldOf(issue.path);
    if (field) fields[field] ??= issue.message;
    else other.push(issue);
  }
  return { fields, other };
}
