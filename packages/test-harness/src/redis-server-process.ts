import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/** Options for one `redis-server` child process. */
export interface RedisServerOptions {
  /** Port to listen on. @defaultValue a free port chosen by the kernel */
  port?: number;
  /** Start the node with `cluster-enabled yes`. @defaultValue false */
  cluster?: boolean;
  /** Binary to run. @defaultValue `REDIS_SERVER_BIN` or `redis-server` on PATH */
  binary?: string;
  /** Deadline for the server to report "Ready to accept connections". @defaultValue 10000 */
  startTimeoutMs?: number;
  /**
   * Keep data across {@link RedisServerProcess.kill} and {@link RedisServerProcess.restart}, like a
   * production Redis with AOF: `--appendonly yes --appendfsync always` (every write is on disk before
   * it is acknowledged). @defaultValue false
   */
  persistence?: boolean;
}

const READY_LINE = 'Ready to accept connections';

/**
 * A real `redis-server` owned by a test: start, stop, pause (SIGSTOP), resume (SIGCONT),
 * kill (SIGKILL) and restart on the same port. Readiness is the server's own log line,
 * never a sleep. Data is not persisted unless `persistence: true` (AOF, fsync on every write);
 * a cluster node keeps its nodes.conf across restarts.
 */
export class RedisServerProcess {
  readonly port: number;
  readonly cluster: boolean;
  readonly persistence: boolean;
  private readonly binary: string;
  private readonly startTimeoutMs: number;
  private readonly dir: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(port: number, options: RedisServerOptions) {
    this.port = port;
    this.cluster = options.cluster ?? false;
    this.persistence = options.persistence ?? false;
    this.binary = options.binary ?? process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.dir = mkdtempSync(join(tmpdir(), `strata-redis-${port}-`));
  }

  /** Starts a server and resolves once it accepts connections. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
    const port = options.port ?? (await freePort());
    const server = new RedisServerProcess(port, options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  private args(): string[] {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      this.persistence ? 'yes' : 'no',
      '--dir',
      this.dir,
      '--logfile',
      '',
      '--loglevel',
      'notice',
      '--protected-mode',
      'no',
      '--notify-keyspace-events',
      'Ex',
    ];
    if (this.persistence) args.push('--appendfsync', 'always');
    if (this.cluster) {
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000');
    }
    return args;
  }

  private launch(): Promise<void> {
    const child = spawn(this.binary, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => {
        finish(new Error(`redis-server on port ${this.port} not ready within ${this.startTimeoutMs} ms:\n${output}`));
        child.kill('SIGKILL');
      }, this.startTimeoutMs);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes(READY_LINE)) finish();
      };
      const onExit = (code: number | null): void =>
        finish(new Error(`redis-server on port ${this.port} exited (${String(code)}) before ready:\n${output}`));
      const onError = (error: Error): void => finish(error);
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        // Keep draining the pipes so the server never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
        if (error) reject(error);
        else resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  /** SIGSTOP: the process keeps its sockets but answers nothing until {@link resume}. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    this.signal('SIGCONT');
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Starts the server again on the same port (after {@link kill} or {@link stop}). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Graceful stop (SIGTERM), SIGKILL after 5 s; removes the data directory. */
  async stop(): Promise<void> {
    if (this.child) {
      const child = this.child;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.child) throw new Error(`redis-server on port ${this.port} is not running`);
    this.child.kill(signal);
  }
}
