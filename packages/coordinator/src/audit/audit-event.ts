import { clientKey, currentUser, type LogEvent, type LogEventType, type LogSeverity } from '@modfleet/common';
import type { Request, Response } from 'express';
import { eventTime, type EventLog } from './event-log.js';

type EventFields = Omit<LogEvent, 'time' | 'type' | 'severity' | 'user' | 'client_addr'>;

/**
 * Records that the authenticated user of this request did `type`, from the request's client
 * address. A failure to record is logged, never turned into a failed request: the change was made.
 */
export async function recordEvent(
  events: EventLog,
  req: Request,
  res: Response,
  type: LogEventType,
  fields: EventFields,
  severity: LogSeverity = 'INFO',
): Promise<void> {
  const event: LogEvent = {
    time: eventTime(),
    type,
    severity,
    user: currentUser(res).email,
    client_addr: clientKey(req.socket.remoteAddress),
    ...fields,
  };
  try {
    await events.record(event);
  } catch (err) {
    req.log.error({ err, event }, 'could not record the event in the cluster event log');
  }
}
