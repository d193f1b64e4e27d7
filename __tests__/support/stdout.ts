/** What a piece of code wrote to stdout (log lines and workflow commands), with stdout silenced meanwhile. */
import { jest } from '@jest/globals';

function silencedStdout(): { written: string[]; restore: () => void } {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return { written, restore: () => spy.mockRestore() };
}

/** The text a synchronous `action` wrote to stdout. */
export function stdoutOfSync(action: () => void): string {
  const { written, restore } = silencedStdout();
  try {
    action();
  } finally {
    restore();
  }
  return written.join('');
}

/** The text `action` wrote to stdout until its promise settled. */
export async function stdoutOf(action: () => Promise<unknown>): Promise<string> {
  const { written, restore } = silencedStdout();
  try {
    await action();
  } finally {
    restore();
  }
  return written.join('');
}
