/**
 * Hugging Face hub lookups the action makes before a build (adapter): a branch or tag is resolved
 * to its commit, so the download step's cache key changes when the branch moves (BuildKit would
 * otherwise reuse yesterday's `main`) and the image says exactly which weights it holds.
 */
import { BuildFailed, connectionFailureOf, originOf } from '../errors.ts';
import { DEFAULT_HF_ENDPOINT } from './dockerfile.ts';

const COMMIT = /^[0-9a-f]{40}$/;

/**
 * Describes one failed request to the hub: an HTTP error status or no connection, naming the
 * hub's address, the model and what to do. The one place that words the hub's failures.
 */
export function describeHubFailure(
  request: { model: string; url: string; withToken: boolean },
  failure: { status: number } | { error: unknown },
): BuildFailed {
  const hub = originOf(request.url);
  if (!('status' in failure)) {
    const connection = connectionFailureOf(failure.error, request.url);
    const why =
      connection?.description ??
      `could not reach ${hub} (${failure.error instanceof Error ? failure.error.message : String(failure.error)})`;
    return new BuildFailed(
      `${request.model}: could not look the revision up on the Hugging Face hub: ${why}; check that the runner can reach ${hub} (a proxy goes in HTTPS_PROXY/NO_PROXY; a mirror in HF_ENDPOINT)`,
      'model',
    );
  }
  const { status } = failure;
  const advice =
    status === 401 || status === 403
      ? request.withToken
        ? 'HF_TOKEN was refused: give a token with read access to this repository, and accept its terms on the hub if it is gated'
        : 'a private or gated repository needs HF_TOKEN (a read token) in the environment of this step'
      : status === 404
        ? `check the repository and revision in input model${request.withToken ? '' : ' (a private repository answers 404 without HF_TOKEN)'}`
        : status === 429 || status >= 500
          ? 'the hub is busy or failing; re-run the job'
          : 'check input model';
  return new BuildFailed(
    `${request.model}: the Hugging Face hub ${hub} answered HTTP ${status} to ${request.url}; ${advice}`,
    'model',
  );
}

/** The commit a revision (branch, tag or commit) of a hub repository names. */
export async function resolveHubRevision(
  repository: string,
  revision: string,
  options: { endpoint?: string; token?: string } = {},
): Promise<string> {
  if (COMMIT.test(revision)) return revision;
  const endpoint = (options.endpoint ?? DEFAULT_HF_ENDPOINT).replace(/\/$/, '');
  const url = `${endpoint}/api/models/${repository}/revision/${encodeURIComponent(revision)}`;
  const request = { model: `hf://${repository}@${revision}`, url, withToken: Boolean(options.token) };
  let response: Response;
  try {
    response = await fetch(url, {
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw describeHubFailure(request, { error });
  }
  if (!response.ok) {
    await response.arrayBuffer().catch(() => undefined);
    throw describeHubFailure(request, { status: response.status });
  }
  const sha = ((await response.json()) as { sha?: unknown }).sha;
  if (typeof sha !== 'string' || !COMMIT.test(sha)) {
    throw new BuildFailed(`${request.model}: the hub's answer from ${url} names no commit`, 'model');
  }
  return sha;
}
