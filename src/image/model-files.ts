/**
 * What a model folder holds (pure): which files are weights, and the model's content hash.
 * The adapter that walks a folder and hashes file contents is model-folder.ts.
 */
import { createHash } from 'node:crypto';

/** One file of a model folder: its path relative to the folder (`/`-separated) and its contents' hash. */
export interface ModelFile {
  path: string;
  size: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** Extensions of serialized weights and engines; everything else is code or configuration. */
const WEIGHT_EXTENSIONS = [
  '.onnx',
  '.onnx_data',
  '.pt',
  '.pth',
  '.plan',
  '.engine',
  '.safetensors',
  '.bin',
  '.gguf',
  '.h5',
  '.keras',
  '.ckpt',
  '.npz',
  '.pkl',
  '.joblib',
  '.tflite',
  '.msgpack',
  '.ubj',
];

/** True for serialized weights (including a TensorFlow SavedModel's graph and variables). */
export function isWeightFile(path: string): boolean {
  const lower = path.toLowerCase();
  const name = lower.split('/').pop()!;
  if (name === 'saved_model.pb' || lower.split('/').slice(0, -1).includes('variables')) return true;
  return WEIGHT_EXTENSIONS.some((extension) => name.endsWith(extension));
}

/** Splits files into weights and the rest (code, configuration), each sorted by path. */
export function splitWeights(files: readonly ModelFile[]): { weights: ModelFile[]; others: ModelFile[] } {
  const sorted = [...files].sort((a, b) => compareText(a.path, b.path));
  return {
    weights: sorted.filter((f) => isWeightFile(f.path)),
    others: sorted.filter((f) => !isWeightFile(f.path)),
  };
}

/** Hex SHA-256 of one file's bytes. */
export function sha256Of(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The model's content hash: SHA-256 over every (path, contents hash) pair in path order, so it
 * changes when any file's bytes or name change and never with timestamps or listing order.
 */
export function modelDigest(files: readonly ModelFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => compareText(a.path, b.path))) {
    hash.update(`${file.path}\0${file.sha256}\n`);
  }
  return hash.digest('hex');
}

/** Byte-order comparison, the same on every machine (localeCompare is not). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
