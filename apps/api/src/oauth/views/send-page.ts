import type { ServerResponse } from 'node:http';
import { PAGE_CSP } from './layout.js';

/** The path of the Authorize dialog's pages (`/interaction/:uid`, its login and consent forms). */
export const isInteractionPath = (url: string): boolean => /^\/interaction(\/|\?|$)/i.test(url);

/** The headers of every page of the Authorize dialog. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': PAGE_CSP,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Answers with one of the Authorize dialog's HTML pages on the Node response itself. */
export function sendPage(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'Content-Length': Buffer.byteLength(body) }).end(body);
}
