import type { ServerConfig } from '@strata/config';
import { Schema, type Connection, type Model } from 'mongoose';

/** A database server as stored: one document per name (deleting a server deletes its document). */
export interface McpServerDoc {
  /** Unique. */
  name: string;
  /** Validated by the caller with `@strata/config` before it is written; stored as written (placeholders too). */
  config: ServerConfig;
  /** From the version sequence (`Counter`). */
  version: number;
  /** Who created it (a user id), when known. */
  author?: string;
  /** `user` when a user supplied the config (connected under the user-supplied rules); absent: operator. */
  origin?: 'operator' | 'user';
  createdAt: Date;
  updatedAt: Date;
}

/** `McpServer` models. */
export type McpServerModel = Model<McpServerDoc>;

/** Model name and collection of {@link McpServerDoc}. */
export const MCP_SERVER = { model: 'McpServer', collection: 'mcpservers' } as const;

/**
 * `minimize: false` keeps empty objects (`env: {}`) so a config reads back exactly as written;
 * `timestamps` fills createdAt/updatedAt for writers that do not set them (the repository sets them
 * from its own clock).
 */
export const mcpServerSchema = new Schema<McpServerDoc>(
  {
    name: { type: String, required: true },
    config: { type: Schema.Types.Mixed, required: true },
    version: { type: Number, required: true },
    author: { type: String, required: false },
    origin: { type: String, required: false, enum: ['operator', 'user'] },
  },
  { collection: MCP_SERVER.collection, timestamps: true, minimize: false, versionKey: false, strict: 'throw' },
);
// get, updateConfig, remove, create's duplicate check (E11000), and the servers of a user's entries.
mcpServerSchema.index({ name: 1 }, { unique: true, name: 'name_unique' });

/** The `McpServer` model on `connection` (compiled once per connection; no global model). */
export function mcpServerModel(connection: Connection): McpServerModel {
  return connection.model<McpServerDoc>(MCP_SERVER.model, mcpServerSchema);
}
