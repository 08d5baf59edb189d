// Strata's demo MCP server (stdio): shipped with the repo so a tool call works out of the box.
// `npm start` seeds it as a shared server; run it alone with `npx tsx api/mcp-servers/demo-server.ts`.
// Tools: echo, add, time. It exits when its stdin closes (the client went away) or on SIGTERM.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

function createDemoServer(): McpServer {
  const server = new McpServer({ name: 'strata-demo', version: '0.1.0' });
  server.registerTool(
    'echo',
    { description: 'Returns its text unchanged', inputSchema: { text: z.string().max(10_000) } },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'add',
    { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } },
    ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );
  server.registerTool('time', { description: "The server's current time (ISO 8601)" }, () => ({
    content: [{ type: 'text', text: new Date().toISOString() }],
  }));
  return server;
}

async function main(): Promise<void> {
  const server = createDemoServer();
  const transport = new StdioServerTransport();
  const stop = () => void server.close().finally(() => process.exit(0));
  process.stdin.on('end', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await server.connect(transport);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
