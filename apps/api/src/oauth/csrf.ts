import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Exchange } from './exchange.js';

const COOKIE = 'atea_csrf';

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Signed double-submit CSRF protection for the interaction forms: a random cookie (path
 * `/interaction` under PUBLIC_URL's path, HttpOnly, SameSite=Lax) and a form field holding the HMAC
 * of that cookie and the interaction uid. A forged cross-site post has neither the cookie's value
 * nor the key.
 */
export class Csrf {
  /**
   * `secure`: the cookie is sent over HTTPS only (PUBLIC_URL is https, whatever the hop in front says).
   * `path`: the cookie's path as the browser sees the pages (PUBLIC_URL's path, then `/interaction`).
   */
  constructor(
    private readonly key: string,
    private readonly secure: boolean,
    private readonly path = '/interaction',
  ) {}

  /** The token for the page's form; sets the cookie when the browser has none yet. */
  issue({ req, res }: Exchange, uid: string): string {
    let secret = readCookie(req, COOKIE);
    if (!secret || !/^[A-Za-z0-9_-]{43}$/.test(secret)) {
      secret = randomBytes(32).toString('base64url');
      res.appendHeader('Set-Cookie', `${COOKIE}=${secret}; Path=${this.path}; HttpOnly; SameSite=Lax${this.secure ? '; Secure' : ''}`);
    }
    return this.sign(secret, uid);
  }

  verify(req: IncomingMessage, uid: string, token: unknown): boolean {
    const secret = readCookie(req, COOKIE);
    if (!secret || typeof token !== 'string') return false;
    const expected = Buffer.from(this.sign(secret, uid));
    const actual = Buffer.from(token);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  private sign(secret: string, uid: string): string {
    return createHmac('sha256', this.key).update(`csrf.${secret}.${uid}`).digest('base64url');
  }
}
