/** The auth bench's forked server process, seen from the load generator: start, CPU readings, stop. */
import { fork, type ChildProcess } from 'node:child_process';
import { assertLoopback } from './util.js';

export type ParentMessage = { type: 'stop' } | { type: 'cpu' };
export type ChildMessage = { type: 'listening'; url: string; coordinatorUrl: string } | { type: 'cpu'; micros: number };

export class ServerProcess {
  private readonly waiting: ((micros: number) => void)[] = [];
  readonly exited: Promise<unknown>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly coordinatorUrl: string,
  ) {
    this.exited = new Promise(done => child.once('exit', done));
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'cpu') this.waiting.shift()?.(message.micros);
    });
  }

  /** Forks `script` with `--serve`: the bench file itself, whose child side serves. */
  static async start(script: string, log: string, env: NodeJS.ProcessEnv): Promise<ServerProcess> {
    const child = fork(script, ['--serve', '--log', log], {
      env: { ...process.env, ...env },
      execArgv: process.execArgv,
    });
    const urls = await new Promise<{ url: string; coordinatorUrl: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench server did not start within 30 s')), 30_000);
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'listening') {
          clearTimeout(timer);
          resolve(message);
        }
      });
      child.once('exit', code => {
        clearTimeout(timer);
        reject(new Error(`bench server exited with ${code} before listening`));
      });
    });
    assertLoopback(urls.url);
    assertLoopback(urls.coordinatorUrl);
    return new ServerProcess(child, urls.url, urls.coordinatorUrl);
  }

  cpuMicros(): Promise<number> {
    return new Promise(resolve => {
      this.waiting.push(resolve);
      this.child.send({ type: 'cpu' } satisfies ParentMessage);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.send({ type: 'stop' } satisfies ParentMessage);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
