import type { IncomingMessage, ServerResponse } from 'node:http';

/** One request to the login pages: the Node request and response, and what the framework read. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The parsed form. */
  body: unknown;
  /** The client's address (behind TRUST_PROXY, the forwarded one). */
  ip: string;
}
