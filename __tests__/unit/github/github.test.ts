import { describe, expect, it } from '@jest/globals';
import { describeGitHubFailure } from '../../../src/github/github.ts';

/** What Octokit's RequestError carries: the status, the request and GitHub's message. */
function requestError(status: number, message: string): Error {
  return Object.assign(new Error(message), {
    status,
    request: { method: 'POST', url: 'https://ghe.example.com/api/v3/repos/acme/models/deployments' },
    response: { data: { message } },
  });
}

describe('describeGitHubFailure', () => {
  it('names the API, the request, the status and the permission to give on 403', () => {
    expect(
      describeGitHubFailure(
        requestError(403, 'Resource not accessible by integration'),
        'create the deployment',
        'deployments: write',
      ),
    ).toBe(
      'Could not create the deployment: the GitHub API https://ghe.example.com answered POST /api/v3/repos/acme/models/deployments with HTTP 403: Resource not accessible by integration. Give the workflow `permissions: deployments: write` (fork pull requests get a read-only token).',
    );
  });

  it('says a 401 is the token, and a 5xx is worth a re-run', () => {
    expect(describeGitHubFailure(requestError(401, 'Bad credentials'), 'x', 'p')).toMatch(
      /check input github-token/,
    );
    expect(describeGitHubFailure(requestError(502, 'Bad gateway'), 'x', 'p')).toMatch(
      /GitHub failed; re-run the job/,
    );
  });

  it('names the address tried when GitHub could not be reached', () => {
    const refused = Object.assign(new Error('fetch failed'), {
      request: { method: 'GET', url: 'https://api.github.com/repos/acme/models/issues/7/comments' },
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.github.com'), { code: 'ENOTFOUND' }),
    });
    expect(describeGitHubFailure(refused, 'update the PR comment', 'pull-requests: write')).toBe(
      'Could not update the PR comment: could not connect to https://api.github.com: the host name does not resolve (DNS) (ENOTFOUND) (GET /repos/acme/models/issues/7/comments). Check GITHUB_API_URL and that the runner can reach it (a proxy goes in HTTPS_PROXY/NO_PROXY).',
    );
  });
});
