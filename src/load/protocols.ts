/**
 * What the probe sends, per protocol: `v2` (Open Inference Protocol, KServe/Triton/MLServer),
 * `openai` (chat completions; streams are timed token by token) and `http` (the user's own
 * method, path and body). The builders are pure; `prepareProbe` (bottom) is the adapter that asks a
 * model server what it needs (readiness, metadata) before the measurement starts.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ProbeRequest, TokenStreamScanner } from './generator.ts';

const LF = 10;
const CR = 13;

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;

/**
 * The request body: the user's probe-payload when given, else one built from what the server
 * said (`known`); `missing` is the error when there is neither.
 */
function payloadOr<T>(
  payload: string | undefined,
  known: T | undefined,
  build: (known: T) => string,
  missing: string,
): string {
  if (payload !== undefined) return payload;
  if (known === undefined) throw new Error(missing);
  return build(known);
}

// --- v2: Open Inference Protocol --------------------------------------------------------------

/** One tensor of `GET /v2/models/{name}` (the model metadata response). */
export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  inputs: TensorMetadata[];
}

const V2_INFER_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer$/;

/** The model name (and version) in a `/v2/models/{name}[/versions/{v}]/infer` path, if it is one. */
export function parseV2InferPath(path: string): { model: string; version?: string } | undefined {
  const match = V2_INFER_PATH.exec(path);
  if (!match) return undefined;
  const model = decodeURIComponent(match[1]!);
  return match[2] === undefined ? { model } : { model, version: decodeURIComponent(match[2]) };
}

/** Base path of one model (and version) in the Open Inference Protocol. */
export function v2ModelPath(model: string, version?: string): string {
  const base = `/v2/models/${encodeURIComponent(model)}`;
  return version === undefined ? base : `${base}/versions/${encodeURIComponent(version)}`;
}

/** Reads a metadata response, naming what is missing when it is not one. */
export function parseModelMetadata(body: unknown): ModelMetadata {
  const fail = (what: string): never => {
    throw new Error(`the model metadata (GET /v2/models/{name}) ${what}`);
  };
  if (body === null || typeof body !== 'object') return fail('is not a JSON object');
  const { name, inputs } = body as { name?: unknown; inputs?: unknown };
  if (!Array.isArray(inputs) || inputs.length === 0) return fail('lists no inputs');
  return {
    name: typeof name === 'string' ? name : '',
    inputs: inputs.map((input: unknown, index) => {
      const { name: tensor, datatype, shape } = (input ?? {}) as Record<string, unknown>;
      if (typeof tensor !== 'string' || typeof datatype !== 'string' || !Array.isArray(shape)) {
        return fail(`input ${index + 1} lacks a name, datatype or shape`);
      }
      if (!shape.every((dim) => Number.isInteger(dim) && (dim as number) >= -1)) {
        return fail(`input '${tensor}' has a shape that is not whole numbers ≥ -1`);
      }
      return { name: tensor, datatype: datatype.toUpperCase(), shape: shape as number[] };
    }),
  };
}

/** A variable dimension (-1) becomes 1: the smallest valid request. */
export function concreteShape(shape: readonly number[]): number[] {
  return shape.map((dim) => (dim === -1 ? 1 : dim));
}

/** Deterministic element `i` of a tensor of `datatype`: the same request every run, every arm. */
export function tensorElement(datatype: string, i: number): number | boolean | string {
  switch (datatype) {
    case 'BOOL':
      return i % 2 === 0;
    case 'BYTES':
      return 'model-canary';
    case 'FP16':
    case 'FP32':
    case 'FP64':
    case 'BF16':
      return (i % 11) / 10;
    case 'INT8':
    case 'INT16':
    case 'INT32':
    case 'INT64':
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
    case 'UINT64':
      return i % 7;
    default:
      throw new Error(`the model metadata has an unknown datatype '${datatype}'`);
  }
}

/** Largest tensor we fill in: a model whose metadata asks for more needs a probe-payload. */
export const MAX_GENERATED_ELEMENTS = 1 << 20;

/** A valid inference request for a model, from its metadata alone. */
export function v2RequestFromMetadata(metadata: ModelMetadata): object {
  return {
    inputs: metadata.inputs.map((input) => {
      const shape = concreteShape(input.shape);
      const count = shape.reduce((product, dim) => product * dim, 1);
      if (count > MAX_GENERATED_ELEMENTS) {
        throw new Error(
          `input '${input.name}' has ${count} elements (shape ${JSON.stringify(shape)}); give a probe-payload for this model`,
        );
      }
      return {
        name: input.name,
        shape,
        datatype: input.datatype,
        data: Array.from({ length: count }, (_, i) => tensorElement(input.datatype, i)),
      };
    }),
  };
}

/** The v2 inference request: the user's payload when given, else one built from the metadata. */
export function v2InferRequest(
  model: string,
  version: string | undefined,
  payload: string | undefined,
  metadata: ModelMetadata | undefined,
): ProbeRequest {
  const body = payloadOr(
    payload,
    metadata,
    (known) => JSON.stringify(v2RequestFromMetadata(known)),
    'a v2 probe needs a probe-payload or the model metadata',
  );
  return { method: 'POST', path: `${v2ModelPath(model, version)}/infer`, headers: { ...JSON_HEADERS }, body };
}

// --- openai: chat completions -----------------------------------------------------------------

export const OPENAI_CHAT_PATH = '/v1/chat/completions';

/**
 * The chat request the probe sends when no payload is given: deterministic, streamed, and long
 * enough to time the tokens after the first (a one-word answer has no time per output token): a
 * count that runs past max_tokens, so every answer has the same number of tokens on both arms.
 * `include_usage` asks the server for its own token count in the last event.
 */
export function openAiChatBody(model: string): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Count from 1 to 100, separated by spaces.' }],
    max_tokens: 16,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
}

/** True when a request body asks for a server-sent-event stream. */
export function isStreamingBody(body: string): boolean {
  try {
    return (JSON.parse(body) as { stream?: unknown }).stream === true;
  } catch {
    return false;
  }
}

/** The first model id of a `GET /v1/models` answer. */
export function firstOpenAiModel(body: unknown): string {
  const data = (body as { data?: unknown } | null)?.data;
  const id = Array.isArray(data) ? (data[0] as { id?: unknown } | undefined)?.id : undefined;
  if (typeof id !== 'string' || id === '') throw new Error('GET /v1/models listed no model');
  return id;
}

/** usage.completion_tokens of one event, when it carries a count. */
function completionTokensOf(event: { usage?: { completion_tokens?: unknown } | null }): number | undefined {
  const tokens = event.usage?.completion_tokens;
  return typeof tokens === 'number' && Number.isSafeInteger(tokens) && tokens >= 0 ? tokens : undefined;
}

/**
 * True when one stream event carries generated text: a chat `delta.content`, a completion `text`,
 * or a reasoning model's `delta.reasoning_content` (tokens the server generated and the user waits
 * through before the answer). The role-only opening event and an empty content do not count.
 */
function carriesText(event: {
  choices?: { delta?: { content?: unknown; reasoning_content?: unknown } | null; text?: unknown }[];
}): boolean {
  if (!Array.isArray(event.choices)) return false;
  return event.choices.some((choice) =>
    [choice?.delta?.content, choice?.delta?.reasoning_content, choice?.text].some(
      (text) => typeof text === 'string' && text !== '',
    ),
  );
}

/** Lines longer than this are not events a model server sends; they are skipped, not buffered. */
const MAX_SSE_LINE_CHARS = 1 << 20;

/**
 * Reads an OpenAI server-sent-event stream as it arrives, split anywhere (mid-line, mid-UTF-8
 * character), and says how many events carrying generated text each piece completed. It stops at
 * `data: [DONE]`.
 *
 * Each `data:` line is read as one event, rather than joining the lines of an event up to its blank
 * line as the SSE specification does: OpenAI-compatible servers put one JSON object on one line,
 * and some omit the blank line between events. Lines end with LF, CRLF or a lone CR.
 */
export function openAiStreamScanner(): TokenStreamScanner {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  /** The last piece ended in CR: an LF at the start of the next piece ends the same line. */
  let afterCarriageReturn = false;
  /** The current line outgrew MAX_SSE_LINE_CHARS: the rest of it is skipped. */
  let skippingLine = false;
  let finished = false;
  let reportedTokens: number | undefined;

  /** 1 when the line is an event carrying text, else 0. */
  const readLine = (line: string): number => {
    if (!line.startsWith('data:')) return 0;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      finished = true;
      return 0;
    }
    let event: Parameters<typeof carriesText>[0] & Parameters<typeof completionTokensOf>[0];
    try {
      event = JSON.parse(data) as typeof event;
    } catch {
      return 0;
    }
    if (event === null || typeof event !== 'object') return 0;
    // The last count wins: servers that report usage on every event (vLLM's continuous usage
    // stats) end with the total, as those that report it once, in the final event, do.
    reportedTokens = completionTokensOf(event) ?? reportedTokens;
    return carriesText(event) ? 1 : 0;
  };

  return {
    push(chunk: Uint8Array): number {
      if (finished) return 0;
      let text = decoder.write(chunk as Buffer);
      if (text === '') return 0;
      if (afterCarriageReturn && text.startsWith('\n')) text = text.slice(1);
      afterCarriageReturn = false;
      // What is pending holds no line end: the search starts at the new text.
      const from = pending.length;
      pending += text;
      let events = 0;
      let start = 0;
      for (let at = from; at < pending.length && !finished; at++) {
        const char = pending.charCodeAt(at);
        if (char !== LF && char !== CR) continue;
        if (!skippingLine) events += readLine(pending.slice(start, at));
        skippingLine = false;
        if (char === CR) {
          if (at + 1 === pending.length) afterCarriageReturn = true;
          else if (pending.charCodeAt(at + 1) === LF) at++;
        }
        start = at + 1;
      }
      pending = finished ? '' : pending.slice(start);
      if (pending.length > MAX_SSE_LINE_CHARS) {
        pending = '';
        skippingLine = true;
      }
      return events;
    },
    get reportedTokens() {
      return reportedTokens;
    },
  };
}

/** The OpenAI chat request; a streaming one is read event by event (openAiStreamScanner). */
export function openAiChatRequest(
  path: string,
  payload: string | undefined,
  model: string | undefined,
): ProbeRequest {
  const body = payloadOr(
    payload,
    model,
    openAiChatBody,
    'an openai probe needs a probe-payload or a model id',
  );
  const streaming = isStreamingBody(body);
  return {
    method: 'POST',
    path,
    headers: { ...JSON_HEADERS, ...(streaming ? { accept: 'text/event-stream' } : {}) },
    body,
    ...(streaming ? { stream: openAiStreamScanner } : {}),
  };
}

// --- http: the user's own request -------------------------------------------------------------

/** A plain HTTP probe: POST with the payload when one is given, GET otherwise (unless told). */
export function plainHttpRequest(
  path: string,
  method: 'GET' | 'POST' | undefined,
  payload: string | undefined,
): ProbeRequest {
  const chosen = method ?? (payload === undefined ? 'GET' : 'POST');
  if (chosen === 'GET' && payload !== undefined) throw new Error('a GET probe cannot send a probe-payload');
  return {
    method: chosen,
    path,
    headers: payload === undefined ? {} : { 'content-type': contentTypeOf(payload) },
    ...(payload !== undefined ? { body: payload } : {}),
  };
}

function contentTypeOf(payload: string): string {
  try {
    JSON.parse(payload);
    return 'application/json';
  } catch {
    return 'application/octet-stream';
  }
}

// --- preparing a probe against a live model server (adapter) ---------------------------------

/** A GET against one arm, answered with status and parsed JSON (if any). */
export type ArmGet = (path: string) => Promise<{ status: number; json: unknown }>;

export interface ProbeSpec {
  protocol: 'v2' | 'openai' | 'http';
  /** probe-path; for v2 it names the model (`/v2/models/{name}/infer`). */
  path?: string;
  payload?: string;
  method?: 'GET' | 'POST';
  /** Model name when the path does not say it (v2), e.g. the deployment's name. */
  defaultModel: string;
}

/** The checks a protocol makes before measuring, each `[path, what it means]`. */
export function readinessChecks(spec: ProbeSpec): [string, string][] {
  if (spec.protocol === 'v2') {
    const target = v2Target(spec);
    return [[`${v2ModelPath(target.model, target.version)}/ready`, `model '${target.model}' ready`]];
  }
  if (spec.protocol === 'openai') return [['/v1/models', 'OpenAI model list']];
  return [];
}

function v2Target(spec: ProbeSpec): { model: string; version?: string } {
  if (spec.path !== undefined) {
    const parsed = parseV2InferPath(spec.path);
    if (parsed === undefined) throw new Error(`probe-path '${spec.path}' is not /v2/models/{name}/infer`);
    return parsed;
  }
  return { model: spec.defaultModel };
}

/**
 * Checks that each arm is ready and builds the request both arms will get. `get` is called for
 * every arm (readiness must hold on both); the metadata comes from the stable arm (the first).
 */
export async function prepareProbe(spec: ProbeSpec, arms: readonly ArmGet[]): Promise<ProbeRequest> {
  for (const [path, what] of readinessChecks(spec)) {
    for (const get of arms) {
      const { status } = await get(path);
      if (status < 200 || status > 299) throw new Error(`${what}: GET ${path} answered ${status}`);
    }
  }
  const first = arms[0]!;
  switch (spec.protocol) {
    case 'v2': {
      const target = v2Target(spec);
      let metadata: ModelMetadata | undefined;
      if (spec.payload === undefined) {
        const path = v2ModelPath(target.model, target.version);
        const { status, json } = await first(path);
        if (status !== 200) throw new Error(`GET ${path} (model metadata) answered ${status}`);
        metadata = parseModelMetadata(json);
      }
      return v2InferRequest(target.model, target.version, spec.payload, metadata);
    }
    case 'openai': {
      let model: string | undefined;
      if (spec.payload === undefined) model = firstOpenAiModel((await first('/v1/models')).json);
      return openAiChatRequest(spec.path ?? OPENAI_CHAT_PATH, spec.payload, model);
    }
    case 'http':
      if (spec.path === undefined) throw new Error('probe-protocol http needs probe-path');
      return plainHttpRequest(spec.path, spec.method, spec.payload);
  }
}

/**
 * The request for each payload of a request set, built as prepareProbe built `first` (the
 * request for the set's first payload, after readiness and metadata).
 */
export function requestsOfSet(
  protocol: ProbeSpec['protocol'],
  first: ProbeRequest,
  payloads: readonly string[],
): ProbeRequest[] {
  // Without a probe-payload the set is the one request prepareProbe generated.
  if (payloads.length === 0) return [first];
  return payloads.map((payload, index) => {
    if (index === 0) return first;
    switch (protocol) {
      case 'v2':
        return { ...first, body: payload };
      case 'openai':
        return openAiChatRequest(first.path, payload, undefined);
      case 'http':
        return plainHttpRequest(first.path, first.method, payload);
    }
  });
}

/**
 * The protocol to probe with: the input when given, else the runtime's (Triton and MLServer speak
 * v2, vLLM speaks OpenAI); a custom path with nothing else known is plain HTTP.
 */
export function probeProtocolFor(
  protocol: ProbeSpec['protocol'] | undefined,
  runtime: string,
  path: string | undefined,
): ProbeSpec['protocol'] {
  if (protocol !== undefined) return protocol;
  if (runtime === 'vllm') return 'openai';
  if (runtime === 'triton' || runtime === 'mlserver') return 'v2';
  if (path === undefined || parseV2InferPath(path) !== undefined) return 'v2';
  return path.startsWith('/v1/') ? 'openai' : 'http';
}
