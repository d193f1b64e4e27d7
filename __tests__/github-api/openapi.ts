/**
 * GitHub's published OpenAPI description (npm @octokit/openapi, api.github.com.json) as a checker:
 * finds the operation a request addresses and lists every way the request (path parameters, query,
 * body) or a response body departs from it. The local API server runs every exchange through it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';

// ajv-formats is CommonJS (module.exports = plugin, plus .default); which of the two an ESM default
// import yields depends on the loader (Node or ts-jest), so take whichever is callable.
const addFormats: FormatsPlugin =
  typeof addFormatsModule === 'function'
    ? (addFormatsModule as FormatsPlugin)
    : (addFormatsModule as unknown as { default: FormatsPlugin }).default;

type Schema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

interface OperationObject {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
}

interface OpenApiDocument {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, OperationObject>>;
  components: { parameters: Record<string, Parameter>; responses: Record<string, unknown> };
}

/** One operation of the description that a request path matched. */
export interface MatchedOperation {
  operationId: string;
  method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/deployments`. */
  template: string;
  pathParameters: Record<string, string>;
}

/** A request as the server received it. */
export interface ExchangeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** JSON pointer to a place in the document, URI-encoded for use in a `$ref`. */
function pointer(segments: readonly string[]): string {
  return segments.map((s) => `/${encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('');
}

interface CompiledTemplate {
  template: string;
  pattern: RegExp;
  names: string[];
  /** Literal characters: with several matches, the most specific template wins. */
  literalLength: number;
}

export class GitHubOpenApi {
  readonly version: string;
  private readonly document: OpenApiDocument;
  private readonly templates: CompiledTemplate[];
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  private constructor(document: OpenApiDocument) {
    this.document = document;
    this.version = document.info.version;
    this.templates = Object.keys(document.paths).map((template) => {
      const names: string[] = [];
      const source = template
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\{([^}]+)\}/g, (_m, name: string) => {
          names.push(name);
          return '([^/]+)';
        });
      return {
        template,
        pattern: new RegExp(`^${source}$`),
        names,
        literalLength: template.replace(/\{[^}]+\}/g, '').length,
      };
    });
    // OpenAPI 3.0 schemas carry keywords JSON Schema does not know (example, discriminator, xml);
    // strict mode would refuse them. `nullable` is understood by Ajv itself.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(this.ajv);
    this.ajv.addSchema(document as unknown as Schema, 'github');
  }

  /** Loads api.github.com.json from the installed @octokit/openapi package. */
  static load(): GitHubOpenApi {
    const require = createRequire(import.meta.url);
    const packageDir = dirname(require.resolve('@octokit/openapi/package.json'));
    const path = join(packageDir, 'generated', 'api.github.com.json');
    return new GitHubOpenApi(JSON.parse(readFileSync(path, 'utf8')) as OpenApiDocument);
  }

  /** The operation a method and path address, or undefined when GitHub has no such endpoint. */
  match(method: string, path: string): MatchedOperation | undefined {
    const lower = method.toLowerCase();
    let best: { compiled: CompiledTemplate; values: string[] } | undefined;
    for (const compiled of this.templates) {
      if (this.document.paths[compiled.template]![lower] === undefined) continue;
      const match = compiled.pattern.exec(path);
      if (match === null) continue;
      if (best === undefined || compiled.literalLength > best.compiled.literalLength) {
        best = { compiled, values: match.slice(1) };
      }
    }
    if (best === undefined) return undefined;
    const operation = this.document.paths[best.compiled.template]![lower]!;
    return {
      operationId: operation.operationId,
      method: lower,
      template: best.compiled.template,
      pathParameters: Object.fromEntries(
        best.compiled.names.map((name, index) => [name, decodeURIComponent(best.values[index]!)]),
      ),
    };
  }

  /** Every way the request departs from the description; empty when it conforms. */
  checkRequest(request: ExchangeRequest): string[] {
    const where = `${request.method} ${request.path}`;
    const operation = this.match(request.method, request.path);
    if (operation === undefined) {
      const known = HTTP_METHODS.filter((m) => this.match(m, request.path) !== undefined);
      return [
        known.length > 0
          ? `${where}: method not allowed (the path takes ${known.join(', ').toUpperCase()})`
          : `${where}: no such path in GitHub's REST API`,
      ];
    }
    const problems: string[] = [];
    const definition = this.operation(operation);
    const parameters = this.parameters(definition);
    for (const parameter of parameters.filter((p) => p.in === 'path')) {
      const value = operation.pathParameters[parameter.name]!;
      problems.push(...this.checkParameter(operation, parameter, value).map((p) => `${where}: ${p}`));
    }
    const queryParameters = parameters.filter((p) => p.in === 'query');
    for (const name of new Set(request.query.keys())) {
      const parameter = queryParameters.find((p) => p.name === name);
      if (parameter === undefined) {
        problems.push(`${where}: query parameter '${name}' is not a parameter of ${operation.operationId}`);
        continue;
      }
      for (const value of request.query.getAll(name)) {
        problems.push(...this.checkParameter(operation, parameter, value).map((p) => `${where}: ${p}`));
      }
    }
    for (const parameter of queryParameters.filter((p) => p.required && !request.query.has(p.name))) {
      problems.push(`${where}: required query parameter '${parameter.name}' is missing`);
    }
    problems.push(...this.checkBody(operation, definition, request).map((p) => `${where}: ${p}`));
    return problems;
  }

  /** Every way a response body departs from the description of that status; empty when it conforms. */
  checkResponse(operation: MatchedOperation, status: number, body: unknown): string[] {
    const definition = this.operation(operation);
    const key = String(status) in definition.responses ? String(status) : 'default';
    if (!(key in definition.responses)) {
      return [`${operation.operationId}: status ${status} is not a documented response`];
    }
    const response = this.resolve(definition.responses[key]) as {
      content?: Record<string, { schema: Schema }>;
    };
    if (response.content?.['application/json'] === undefined) return [];
    const location = ['paths', operation.template, operation.method, 'responses', key];
    if ((definition.responses[key] as { $ref?: string }).$ref !== undefined) {
      const name = (definition.responses[key] as { $ref: string }).$ref.split('/').pop()!;
      location.splice(0, location.length, 'components', 'responses', name);
    }
    const validate = this.validator([...location, 'content', 'application/json', 'schema']);
    return validate(body) ? [] : this.describeErrors(`${operation.operationId} ${status} response`, validate);
  }

  private operation(operation: MatchedOperation): OperationObject {
    return this.document.paths[operation.template]![operation.method]!;
  }

  private resolve(value: unknown): unknown {
    const ref = (value as { $ref?: string }).$ref;
    if (ref === undefined) return value;
    let target: unknown = this.document;
    for (const segment of ref.replace(/^#\//, '').split('/')) {
      target = (target as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    return target;
  }

  private parameters(definition: OperationObject): Parameter[] {
    return (definition.parameters ?? []).map((p) => this.resolve(p) as Parameter);
  }

  private checkParameter(operation: MatchedOperation, parameter: Parameter, raw: string): string[] {
    const type = parameter.schema.type;
    let value: unknown = raw;
    if (type === 'integer' || type === 'number') {
      if (!/^-?\d+(\.\d+)?$/.test(raw))
        return [`${parameter.in} parameter '${parameter.name}' is not a number: '${raw}'`];
      value = Number(raw);
    } else if (type === 'boolean') {
      if (raw !== 'true' && raw !== 'false')
        return [`${parameter.in} parameter '${parameter.name}' is not a boolean`];
      value = raw === 'true';
    }
    const validate = this.ajv.compile(parameter.schema);
    return validate(value)
      ? []
      : this.describeErrors(
          `${parameter.in} parameter '${parameter.name}' of ${operation.operationId}`,
          validate,
        );
  }

  private checkBody(
    operation: MatchedOperation,
    definition: OperationObject,
    request: ExchangeRequest,
  ): string[] {
    const body = definition.requestBody;
    if (body === undefined) {
      return request.body === undefined ? [] : [`${operation.operationId} takes no request body`];
    }
    if (request.body === undefined) {
      return body.required ? [`${operation.operationId} requires a request body`] : [];
    }
    if (!request.contentType?.startsWith('application/json')) {
      return [`body sent as '${request.contentType}', expected application/json`];
    }
    const validate = this.validator([
      'paths',
      operation.template,
      operation.method,
      'requestBody',
      'content',
      'application/json',
      'schema',
    ]);
    const problems = validate(request.body)
      ? []
      : this.describeErrors(`${operation.operationId} request body`, validate);
    // GitHub ignores body fields it does not know, so a misspelt field would pass silently: name it.
    const schema = this.resolve(body.content['application/json']!.schema) as { properties?: Schema };
    if (schema.properties !== undefined && typeof request.body === 'object' && request.body !== null) {
      for (const field of Object.keys(request.body)) {
        if (!(field in schema.properties)) {
          problems.push(`${operation.operationId} request body: field '${field}' is not in the description`);
        }
      }
    }
    return problems;
  }

  private validator(location: readonly string[]): ValidateFunction {
    const ref = `github#${pointer(location)}`;
    let validate = this.validators.get(ref);
    if (validate === undefined) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    return validate;
  }

  private describeErrors(what: string, validate: ValidateFunction): string[] {
    return (validate.errors ?? []).map(
      (error) =>
        `${what}: ${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}${
          error.params && Object.keys(error.params).length > 0 ? ` ${JSON.stringify(error.params)}` : ''
        }`,
    );
  }
}
