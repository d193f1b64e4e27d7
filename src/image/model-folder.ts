/** Reads a model folder from disk (adapter): its files, sizes and content hashes. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { InputError } from '../errors.ts';
import { compareText, type ModelFile } from './model-files.ts';

/** A model on disk: the folder that becomes the `model` build context, and its files. */
export interface ModelFolder {
  /** Absolute folder sent to BuildKit as the `model` context. */
  root: string;
  files: ModelFile[];
}

/** Lists and hashes a model: a folder (recursively) or a single file (its folder holds only it). */
export async function readModelFolder(path: string): Promise<ModelFolder> {
  const info = await stat(path);
  if (info.isFile()) {
    return { root: dirname(path), files: [await describeFile(dirname(path), path)] };
  }
  const files: ModelFile[] = [];
  for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    const relativePath = relative(path, full).split(sep).join('/');
    // Version-control and OS metadata are never part of a model.
    if (relativePath.split('/').some((part) => part === '.git' || part === '.DS_Store')) continue;
    if (entry.isSymbolicLink()) {
      throw new InputError([
        {
          input: 'model',
          message: `${relativePath} is a symbolic link; BuildKit would copy the link, not the file`,
        },
      ]);
    }
    if (entry.isFile()) files.push(await describeFile(path, full));
  }
  if (files.length === 0)
    throw new InputError([{ input: 'model', message: `the folder ${basename(path)} is empty` }]);
  return { root: path, files: files.sort((a, b) => compareText(a.path, b.path)) };
}

async function describeFile(root: string, full: string): Promise<ModelFile> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(full)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { path: relative(root, full).split(sep).join('/'), size, sha256: hash.digest('hex') };
}
