/** A redis-server log line: `pid:role day month year time level message`. */
const LOG_LINE = /^\d+:[A-Z] \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} ([#*.-]) (.*)$/;

interface LogEntry {
  warning: boolean;
  message: string;
}

function parseLog(text: string): LogEntry[] {
  return text.split('\n').flatMap(line => {
    const match = LOG_LINE.exec(line.trimEnd());
    return match ? [{ warning: match[1] === '#', message: match[2]!.trim() }] : [];
  });
}

export interface LoaderReasonInput {
  /** The server log from where MODULE LOAD started. */
  log: string;
  /** The path the server loaded (a private copy or extract). */
  loadedPath: string;
  /** How the user knows the file (its name): replaces `loadedPath` in the reason. */
  shownAs: string;
  /** The error MODULE LOAD answered, when the log says nothing. */
  fallback: string;
}

/**
 * The loader's own reason, from the lines the server logged while loading: its warnings (the
 * dynamic loader's message, the module's own complaint, "initialization failed"), or the crash
 * line when the module took the server down. The private path reads as the file's name.
 */
export function loaderReason({ log, loadedPath, shownAs, fallback }: LoaderReasonInput): string {
  const entries = parseLog(log);
  const crash = entries.find(entry => /crashed by signal/.test(entry.message));
  const messages = crash
    ? [`redis-server crashed while loading it: ${crash.message}`]
    : entries.filter(entry => entry.warning).map(entry => entry.message);
  const reason = messages.length > 0 ? messages.join('; ') : fallback;
  return reason.split(loadedPath).join(shownAs);
}
