/** The one check of where the CLI will write a file (a checkpoint, a chat history) before any work. */
import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Throws unless the folder of `file` exists and can be written; `label` names the file in the message. */
export async function requireWritableFolder(file: string, label: string): Promise<void> {
  const folder = dirname(resolve(file));
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw new Error(`cannot write ${label}: the folder ${folder} does not exist or is not writable; create it or choose another path`);
  }
}
