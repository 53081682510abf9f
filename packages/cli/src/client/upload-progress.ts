import { SingleBar } from 'cli-progress';
import type { Io } from './client-context.js';
import { formatBytes, type OutStream } from './output.js';

export interface UploadProgress {
  onProgress: (sent: number, total: number) => void;
  stop: () => void;
}

/**
 * A bar on a terminal while the zip goes to the coordinator (the per-node bars start only once
 * it has arrived); nothing on a pipe, where the push line and the outcome say enough.
 */
export function uploadProgress(io: Io, label: string): UploadProgress {
  const stderr = io.stderr as OutStream & Partial<NodeJS.WritableStream>;
  if (stderr.isTTY !== true || typeof stderr.on !== 'function')
    return { onProgress: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    stream: stderr as NodeJS.WritableStream,
    format: ` ${label} {bar} {percentage}% | {sentText} of {totalText}`,
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    barsize: 30,
    hideCursor: true,
    fps: 10,
  });
  let started = false;
  return {
    onProgress: (sent, total) => {
      const payload = { sentText: formatBytes(sent), totalText: formatBytes(total) };
      if (!started) {
        bar.start(total, sent, payload);
        started = true;
      } else bar.update(sent, payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
