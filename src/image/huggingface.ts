/**
 * Hugging Face hub lookups the action makes before a build (adapter): a branch or tag is resolved
 * to its commit, so the download step's cache key changes when the branch moves (BuildKit would
 * otherwise reuse yesterday's `main`) and the image says exactly which weights it holds.
 */
import { DEFAULT_HF_ENDPOINT } from './dockerfile.ts';

const COMMIT = /^[0-9a-f]{40}$/;

/** The commit a revision (branch, tag or commit) of a hub repository names. */
export async function resolveHubRevision(
  repository: string,
  revision: string,
  options: { endpoint?: string; token?: string } = {},
): Promise<string> {
  if (COMMIT.test(revision)) return revision;
  const endpoint = (options.endpoint ?? DEFAULT_HF_ENDPOINT).replace(/\/$/, '');
  const url = `${endpoint}/api/models/${repository}/revision/${encodeURIComponent(revision)}`;
  const response = await fetch(url, {
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) {
    const hint =
      response.status === 401 || response.status === 403 || response.status === 404
        ? ' (a private or gated repository needs HF_TOKEN with read access)'
        : '';
    throw new Error(`hf://${repository}@${revision}: ${url} answered HTTP ${response.status}${hint}`);
  }
  const sha = ((await response.json()) as { sha?: unknown }).sha;
  if (typeof sha !== 'string' || !COMMIT.test(sha)) {
    throw new Error(`hf://${repository}@${revision}: the hub's answer names no commit`);
  }
  return sha;
}
