/**
 * A local stand-in for api.github.com on loopback, for tests: it keeps issue comments, deployments
 * and deployment statuses in memory and answers with bodies shaped like GitHub's. Every exchange
 * is recorded and checked against GitHub's OpenAPI description (openapi.ts) both ways — the
 * request we sent and the response it gave — so a test fails on a call GitHub would not accept.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitHubOpenApi, type MatchedOperation } from './openapi.ts';

/** One request the server received, with what the OpenAPI check found wrong (both directions). */
export interface RecordedExchange {
  method: string;
  path: string;
  query: string;
  operationId?: string;
  body: unknown;
  status: number;
  problems: string[];
}

interface User {
  login: string;
  id: number;
  type: 'Bot' | 'User';
}

interface Comment {
  id: number;
  issue: number;
  body: string;
  user: User;
  createdAt: string;
  updatedAt: string;
}

interface Deployment {
  id: number;
  ref: string;
  sha: string;
  task: string;
  environment: string;
  description: string | null;
  payload: unknown;
  transient: boolean;
  production: boolean;
  createdAt: string;
  statuses: Status[];
}

interface Status {
  id: number;
  state: string;
  description: string;
  environment: string;
  environmentUrl: string;
  logUrl: string;
  createdAt: string;
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  /** The only token accepted (as `Authorization: token …` or `Bearer …`). */
  token: string;
}

/** The bot GITHUB_TOKEN acts as. */
const ACTIONS_BOT: User = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

let openApi: GitHubOpenApi | undefined;

/** A running local GitHub API; `url` goes into GITHUB_API_URL. */
export class FakeGitHub {
  readonly exchanges: RecordedExchange[] = [];
  url = '';
  private readonly options: FakeGitHubOptions;
  private readonly api: GitHubOpenApi;
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      this.send(response, undefined, 500, { message: String(error) });
    });
  });
  private readonly comments: Comment[] = [];
  private readonly deploymentList: Deployment[] = [];
  private nextId = 1_000_000_001;
  /** Strictly increasing timestamps, so ordering by time is deterministic. */
  private clock = Date.parse('2026-01-01T00:00:00Z');

  private constructor(options: FakeGitHubOptions, api: GitHubOpenApi) {
    this.options = options;
    this.api = api;
  }

  /** Starts a server on 127.0.0.1 at a free port. */
  static async start(options: FakeGitHubOptions): Promise<FakeGitHub> {
    openApi ??= GitHubOpenApi.load();
    const fake = new FakeGitHub(options, openApi);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Every problem any exchange had, in order. */
  problems(): string[] {
    return this.exchanges.flatMap((exchange) => exchange.problems);
  }

  /** Adds comments by someone else, e.g. to push the sticky comment past the first page. */
  seedComments(issue: number, count: number, login = 'octocat'): void {
    for (let i = 0; i < count; i += 1) {
      this.addComment(issue, `review note ${i + 1}`, { login, id: 583231, type: 'User' });
    }
  }

  /** The comments of an issue or pull request, oldest first. */
  issueComments(issue: number): { id: number; body: string; login: string }[] {
    return this.comments
      .filter((comment) => comment.issue === issue)
      .map((comment) => ({ id: comment.id, body: comment.body, login: comment.user.login }));
  }

  /** Deployments with their statuses (oldest status first). */
  deployments(): {
    id: number;
    environment: string;
    ref: string;
    transient: boolean;
    production: boolean;
    statuses: { state: string; environmentUrl: string; logUrl: string; description: string }[];
  }[] {
    return this.deploymentList.map((d) => ({
      id: d.id,
      environment: d.environment,
      ref: d.ref,
      transient: d.transient,
      production: d.production,
      statuses: d.statuses.map(({ state, environmentUrl, logUrl, description }) => ({
        state,
        environmentUrl,
        logUrl,
        description,
      })),
    }));
  }

  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private addComment(issue: number, body: string, user: User): Comment {
    const now = this.now();
    const comment = { id: this.nextId++, issue, body, user, createdAt: now, updatedAt: now };
    this.comments.push(comment);
    return comment;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', this.url);
    const method = request.method ?? 'GET';
    let body: unknown;
    const exchange: RecordedExchange = {
      method,
      path: url.pathname,
      query: url.search,
      body: undefined,
      status: 0,
      problems: [],
    };
    this.exchanges.push(exchange);
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        exchange.problems.push(`${method} ${url.pathname}: body is not JSON`);
        return this.send(response, exchange, 400, { message: 'Problems parsing JSON' });
      }
    }
    exchange.body = body;
    exchange.problems.push(
      ...this.api.checkRequest({
        method,
        path: url.pathname,
        query: url.searchParams,
        contentType: request.headers['content-type'],
        body,
      }),
    );
    const operation = this.api.match(method, url.pathname);
    if (operation !== undefined) exchange.operationId = operation.operationId;

    const authorization = request.headers.authorization ?? '';
    if (authorization !== `token ${this.options.token}` && authorization !== `Bearer ${this.options.token}`) {
      return this.send(response, exchange, 401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    }
    const { owner, repo } = operation?.pathParameters ?? {};
    if (operation === undefined || owner !== this.options.owner || repo !== this.options.repo) {
      return this.notFound(response, exchange);
    }
    if (exchange.problems.length > 0) {
      return this.send(response, exchange, 422, {
        message: 'Validation Failed',
        errors: exchange.problems.map((problem) => ({
          resource: operation.operationId,
          code: 'invalid',
          message: problem,
        })),
        documentation_url: 'https://docs.github.com/rest',
        status: '422',
      });
    }
    return this.route(operation, url, body as Record<string, unknown> | undefined, response, exchange);
  }

  private route(
    operation: MatchedOperation,
    url: URL,
    body: Record<string, unknown> | undefined,
    response: ServerResponse,
    exchange: RecordedExchange,
  ): void {
    const parameters = operation.pathParameters;
    switch (operation.operationId) {
      case 'issues/list-comments': {
        const issue = Number(parameters.issue_number);
        const comments = this.comments.filter((c) => c.issue === issue).map((c) => this.commentBody(c));
        return this.sendPage(response, exchange, operation, url, comments);
      }
      case 'issues/create-comment': {
        const comment = this.addComment(Number(parameters.issue_number), String(body!.body), ACTIONS_BOT);
        return this.send(response, exchange, 201, this.commentBody(comment), operation);
      }
      case 'issues/update-comment': {
        const comment = this.comments.find((c) => c.id === Number(parameters.comment_id));
        if (comment === undefined) return this.notFound(response, exchange);
        if (comment.user.login !== ACTIONS_BOT.login) {
          // GITHUB_TOKEN may only edit the bot's own comments (without admin rights).
          return this.send(response, exchange, 403, { message: 'Resource not accessible by integration' });
        }
        comment.body = String(body!.body);
        comment.updatedAt = this.now();
        return this.send(response, exchange, 200, this.commentBody(comment), operation);
      }
      case 'repos/create-deployment': {
        const ref = String(body!.ref);
        const deployment: Deployment = {
          id: this.nextId++,
          ref,
          sha: /^[0-9a-f]{40}$/.test(ref) ? ref : 'c0ffee0000000000000000000000000000000000',
          task: typeof body!.task === 'string' ? body!.task : 'deploy',
          environment: typeof body!.environment === 'string' ? body!.environment : 'production',
          description: typeof body!.description === 'string' ? body!.description : null,
          payload: body!.payload ?? {},
          transient: body!.transient_environment === true,
          production:
            typeof body!.production_environment === 'boolean'
              ? body!.production_environment
              : body!.environment === undefined || body!.environment === 'production',
          createdAt: this.now(),
          statuses: [],
        };
        this.deploymentList.push(deployment);
        return this.send(response, exchange, 201, this.deploymentBody(deployment), operation);
      }
      case 'repos/list-deployments': {
        const filters = ['sha', 'ref', 'task', 'environment'] as const;
        const matching = [...this.deploymentList].reverse().filter((d) =>
          filters.every((filter) => {
            const wanted = url.searchParams.get(filter);
            return wanted === null || wanted === 'none' || d[filter] === wanted;
          }),
        );
        return this.sendPage(
          response,
          exchange,
          operation,
          url,
          matching.map((d) => this.deploymentBody(d)),
        );
      }
      case 'repos/create-deployment-status': {
        const deployment = this.deploymentList.find((d) => d.id === Number(parameters.deployment_id));
        if (deployment === undefined) return this.notFound(response, exchange);
        const logUrl = String(body!.log_url ?? body!.target_url ?? '');
        const status: Status = {
          id: this.nextId++,
          state: String(body!.state),
          description: String(body!.description ?? ''),
          environment: String(body!.environment ?? deployment.environment),
          environmentUrl: String(body!.environment_url ?? ''),
          logUrl,
          createdAt: this.now(),
        };
        deployment.statuses.push(status);
        return this.send(response, exchange, 201, this.statusBody(deployment, status), operation);
      }
      case 'repos/list-deployment-statuses': {
        const deployment = this.deploymentList.find((d) => d.id === Number(parameters.deployment_id));
        if (deployment === undefined) return this.notFound(response, exchange);
        const statuses = [...deployment.statuses].reverse().map((s) => this.statusBody(deployment, s));
        return this.sendPage(response, exchange, operation, url, statuses);
      }
      default:
        return this.notFound(response, exchange);
    }
  }

  private notFound(response: ServerResponse, exchange: RecordedExchange): void {
    this.send(response, exchange, 404, {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404',
    });
  }

  /** Pages a list the way GitHub does: `per_page` (≤ 100), `page`, and a Link header. */
  private sendPage(
    response: ServerResponse,
    exchange: RecordedExchange,
    operation: MatchedOperation,
    url: URL,
    items: unknown[],
  ): void {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
    const page = Math.max(Number(url.searchParams.get('page') ?? 1), 1);
    const last = Math.max(Math.ceil(items.length / perPage), 1);
    const pageUrl = (n: number): string => {
      const next = new URL(url);
      next.searchParams.set('page', String(n));
      return `<${next.toString()}>`;
    };
    const links: string[] = [];
    if (page < last) links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(last)}; rel="last"`);
    if (page > 1) links.push(`${pageUrl(page - 1)}; rel="prev"`, `${pageUrl(1)}; rel="first"`);
    if (links.length > 0) response.setHeader('link', links.join(', '));
    this.send(response, exchange, 200, items.slice((page - 1) * perPage, page * perPage), operation);
  }

  private send(
    response: ServerResponse,
    exchange: RecordedExchange | undefined,
    status: number,
    body: unknown,
    operation?: MatchedOperation,
  ): void {
    if (exchange !== undefined) {
      exchange.status = status;
      if (operation !== undefined) exchange.problems.push(...this.api.checkResponse(operation, status, body));
    }
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
    });
    response.end(text);
  }

  private repositoryUrl(): string {
    return `${this.url}/repos/${this.options.owner}/${this.options.repo}`;
  }

  private userBody(user: User): Record<string, unknown> {
    const url = `${this.url}/users/${encodeURIComponent(user.login)}`;
    return {
      login: user.login,
      id: user.id,
      node_id: Buffer.from(`04:User${user.id}`).toString('base64'),
      avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
      gravatar_id: '',
      url,
      html_url: `https://github.com/${user.login.replace('[bot]', '')}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: user.type,
      user_view_type: 'public',
      site_admin: false,
    };
  }

  private commentBody(comment: Comment): Record<string, unknown> {
    const { owner, repo } = this.options;
    const url = `${this.repositoryUrl()}/issues/comments/${comment.id}`;
    return {
      id: comment.id,
      node_id: Buffer.from(`IC_${comment.id}`).toString('base64'),
      url,
      html_url: `https://github.com/${owner}/${repo}/pull/${comment.issue}#issuecomment-${comment.id}`,
      body: comment.body,
      user: this.userBody(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      issue_url: `${this.repositoryUrl()}/issues/${comment.issue}`,
      author_association: comment.user.type === 'Bot' ? 'NONE' : 'MEMBER',
      performed_via_github_app: null,
      reactions: {
        url: `${url}/reactions`,
        total_count: 0,
        '+1': 0,
        '-1': 0,
        laugh: 0,
        confused: 0,
        heart: 0,
        hooray: 0,
        eyes: 0,
        rocket: 0,
      },
    };
  }

  private deploymentBody(deployment: Deployment): Record<string, unknown> {
    const url = `${this.repositoryUrl()}/deployments/${deployment.id}`;
    return {
      url,
      id: deployment.id,
      node_id: Buffer.from(`DE_${deployment.id}`).toString('base64'),
      sha: deployment.sha,
      ref: deployment.ref,
      task: deployment.task,
      payload: deployment.payload,
      original_environment: deployment.environment,
      environment: deployment.environment,
      description: deployment.description,
      creator: this.userBody(ACTIONS_BOT),
      created_at: deployment.createdAt,
      updated_at: deployment.statuses.at(-1)?.createdAt ?? deployment.createdAt,
      statuses_url: `${url}/statuses`,
      repository_url: this.repositoryUrl(),
      transient_environment: deployment.transient,
      production_environment: deployment.production,
      performed_via_github_app: null,
    };
  }

  private statusBody(deployment: Deployment, status: Status): Record<string, unknown> {
    const deploymentUrl = `${this.repositoryUrl()}/deployments/${deployment.id}`;
    return {
      url: `${deploymentUrl}/statuses/${status.id}`,
      id: status.id,
      node_id: Buffer.from(`DES_${status.id}`).toString('base64'),
      state: status.state,
      creator: this.userBody(ACTIONS_BOT),
      description: status.description,
      environment: status.environment,
      // GitHub answers "" for URLs never set, which its own description (format: uri) does not
      // allow; optional ones are left out here, and target_url stays "" so a status sent without
      // log_url shows up as a problem.
      target_url: status.logUrl,
      ...(status.logUrl !== '' ? { log_url: status.logUrl } : {}),
      ...(status.environmentUrl !== '' ? { environment_url: status.environmentUrl } : {}),
      created_at: status.createdAt,
      updated_at: status.createdAt,
      deployment_url: deploymentUrl,
      repository_url: this.repositoryUrl(),
      performed_via_github_app: null,
    };
  }
}
