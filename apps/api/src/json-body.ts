import type { FastifyRequest } from 'fastify';
import { UnreadableBodyException } from './body-errors.js';

type Done = (error: Error | null, value?: unknown) => void;
export type BodyParser = (req: FastifyRequest, body: string, done: Done) => void;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * True when JSON text nests objects and arrays deeper than `max`, in one pass over the text and
 * without parsing it: brackets are counted outside strings only. The count is exact for valid
 * JSON; malformed text is refused either here or by the parser, 400 both ways.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

/**
 * The JSON body parser of every door that Nest reads (SCIM and admin; the OAuth server reads its
 * own): Fastify's parser (which refuses prototype-poisoning keys), with an empty body read as no
 * body, and text nested deeper than `maxDepth` refused before it is parsed, so that nothing
 * downstream (class-transformer, validation, the SCIM PATCH applier) ever recurses over it.
 * Refusals are UnreadableBodyExceptions: 400 in the door's own error format.
 */
export function jsonParser(strict: BodyParser, maxDepth: number): BodyParser {
  return (req, body, done) => {
    if (body.length === 0) return done(null, undefined);
    if (nestsDeeperThan(body, maxDepth)) {
      return done(new UnreadableBodyException(`The request body nests objects and arrays deeper than ${maxDepth} levels`));
    }
    strict(req, body, (error, value) => done(error ? new UnreadableBodyException('The request body is not valid JSON') : null, value));
  };
}
