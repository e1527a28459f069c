import type { Readable, Writable } from 'node:stream';

/** Where a command reads a secret from and talks to the operator: the process's own streams unless a test gives others. */
export interface CommandIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stderr: Writable;
}

export const PROCESS_IO: CommandIo = { stdin: process.stdin, stderr: process.stderr };

/** Thrown when the operator cancels a prompt with Ctrl-C or Ctrl-D. */
export class PromptCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/**
 * A password from standard input: the answer to a prompt that does not echo when a terminal is
 * attached, otherwise everything piped in, without its final line break. An empty answer is ''.
 */
export async function readPassword(io: CommandIo, prompt: string): Promise<string> {
  if (io.stdin.isTTY && io.stdin.setRawMode) return promptWithoutEcho(io, prompt);
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function promptWithoutEcho(io: CommandIo, prompt: string): Promise<string> {
  const { stdin, stderr } = io;
  stderr.write(prompt);
  stdin.setRawMode!(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let answer = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || char === '\u0004') return finish(new PromptCancelled());
        if (char === '\u007f' || char === '\b') answer = answer.slice(0, -1);
        else if (char >= ' ') answer += char;
      }
    };
    stdin.on('data', onData);
  });
}
