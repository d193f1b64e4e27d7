export const id = 99;
export const ids = [99,186];
export const modules = {

/***/ 79786:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Z: () => (/* binding */ rolloutOf)
/* harmony export */ });
/** The rollout session main.ts opened for a stage that changes the cluster. */
function rolloutOf(run) {
    // main.ts opens the session before any stage plan.ts marks as changing the cluster.
    if (run.rollout === undefined)
        throw new Error('a stage that changes the cluster ran without a session');
    return run.rollout;
}


/***/ }),

/***/ 20186:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ARMS: () => (/* binding */ ARMS),
  REQUEST_TIMEOUT_MS: () => (/* binding */ REQUEST_TIMEOUT_MS),
  analyse: () => (/* binding */ analyse),
  analyseStage: () => (/* binding */ analyseStage),
  analyseStep: () => (/* binding */ analyseStep),
  firstStep: () => (/* binding */ firstStep),
  lookSchedule: () => (/* binding */ lookSchedule),
  stepVerdictOf: () => (/* binding */ stepVerdictOf)
});

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 10 modules
var core = __webpack_require__(57264);
// EXTERNAL MODULE: ./src/checks/check.ts
var check = __webpack_require__(44669);
// EXTERNAL MODULE: ./src/checks/step.ts + 3 modules
var step = __webpack_require__(70047);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: ./src/kube/cluster.ts
var kube_cluster = __webpack_require__(96771);
// EXTERNAL MODULE: ./src/kube/rollout.ts + 4 modules
var kube_rollout = __webpack_require__(54389);
// EXTERNAL MODULE: ./src/plan.ts
var src_plan = __webpack_require__(22464);
// EXTERNAL MODULE: external "node:perf_hooks"
var external_node_perf_hooks_ = __webpack_require__(643);
// EXTERNAL MODULE: external "node:worker_threads"
var external_node_worker_threads_ = __webpack_require__(75919);
// EXTERNAL MODULE: external "node:string_decoder"
var external_node_string_decoder_ = __webpack_require__(46193);
// EXTERNAL MODULE: ./src/stats/quantiles.ts
var quantiles = __webpack_require__(37461);
;// CONCATENATED MODULE: ./src/stats/random.ts
/** Seeded randomness: the one source of uniform numbers for simulations and Poisson arrivals. */
/**
 * xoshiro128** (Blackman & Vigna 2018), state seeded by splitmix32 from one 32-bit seed; returns
 * doubles in [0, 1) with 53 random bits. Seeded so every simulation is reproducible.
 */
function xoshiro128(seed) {
    let splitState = seed >>> 0;
    const splitmix32 = () => {
        splitState = (splitState + 0x9e3779b9) >>> 0;
        let z = splitState;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        return (z ^ (z >>> 16)) >>> 0;
    };
    let s0 = splitmix32();
    let s1 = splitmix32();
    let s2 = splitmix32();
    let s3 = splitmix32();
    const next32 = () => {
        const result = Math.imul(rotateLeft(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
        const t = (s1 << 9) >>> 0;
        s2 = (s2 ^ s0) >>> 0;
        s3 = (s3 ^ s1) >>> 0;
        s1 = (s1 ^ s2) >>> 0;
        s0 = (s0 ^ s3) >>> 0;
        s2 = (s2 ^ t) >>> 0;
        s3 = rotateLeft(s3, 11);
        return result;
    };
    return () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
}
function rotateLeft(value, bits) {
    return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

// EXTERNAL MODULE: ./src/load/http1.ts
var http1 = __webpack_require__(87779);
;// CONCATENATED MODULE: ./src/load/generator.ts
/**
 * The open-loop load generator. Requests leave on a schedule fixed in advance (constant or
 * Poisson arrivals) whatever the server does, and each latency is timed from the request's
 * *intended* send time, so a server that stalls is charged for every request it held up
 * (coordinated omission corrected, as wrk2 does). Arms (canary, stable) alternate on one
 * schedule so both see the same conditions.
 *
 * The schedule (`arrivalOffsets`), the accounting (`LoadAccounting`) and the loop (`runLoad`) take
 * a `LoadClock` and a `SendRequest` and do no I/O of their own, so unit tests drive them with a
 * fake clock; `measureLoad` (bottom) is the adapter that adds the real clock and watches the
 * generator's own event loop.
 */






const NS_PER_MS = 1e6;
const NS_PER_S = 1e9;
/** Intended send times, in ns after the start, of requests 0, 1, 2, … (open loop only). */
function* arrivalOffsets(ratePerSecond, arrivals, seed = 1) {
    if (!(ratePerSecond > 0))
        throw new RangeError(`rate must be positive; got ${ratePerSecond}`);
    const meanGapNs = NS_PER_S / ratePerSecond;
    if (arrivals === 'constant') {
        // Multiplying rather than summing keeps float error from drifting the schedule.
        for (let index = 0;; index++)
            yield index * meanGapNs;
    }
    // Seeded: the same seed gives the same Poisson schedule.
    const uniform = xoshiro128(seed);
    let offset = 0;
    for (;;) {
        yield offset;
        // 1 - u lies in (0, 1], so the logarithm is finite.
        offset += -Math.log(1 - uniform()) * meanGapNs;
    }
}
function emptyCounts() {
    return { attempted: 0, ok: 0, errors: { http: 0, timeout: 0, network: 0, dropped: 0 }, statuses: {} };
}
/**
 * Counts and samples per arm, split into warm-up (discarded) and measurement, plus how late the
 * generator sent each request (its own health).
 */
class LoadAccounting {
    arms;
    measured;
    warmup;
    samples;
    /** Send time minus intended time (ms) of every request sent in the window. */
    schedulingLagMs = [];
    measureFromNs;
    constructor(arms, measureFromNs) {
        this.arms = arms;
        this.measureFromNs = measureFromNs;
        this.measured = Array.from({ length: arms }, emptyCounts);
        this.warmup = Array.from({ length: arms }, emptyCounts);
        this.samples = Array.from({ length: arms }, () => ({ latenciesMs: [], indices: [] }));
    }
    countsFor(arm, intendedNs) {
        return (intendedNs < this.measureFromNs ? this.warmup : this.measured)[arm];
    }
    /** A request was due while the in-flight cap was reached: never sent, counted as an error. */
    dropped(arm, intendedNs) {
        const counts = this.countsFor(arm, intendedNs);
        counts.attempted++;
        counts.errors.dropped++;
    }
    /** `sentNs` is left out by a closed loop (max arrivals): it has no schedule to be late for. */
    sent(arm, intendedNs, sentNs) {
        const counts = this.countsFor(arm, intendedNs);
        counts.attempted++;
        if (sentNs !== undefined && counts !== this.warmup[arm]) {
            this.schedulingLagMs.push((sentNs - intendedNs) / NS_PER_MS);
        }
    }
    finished(arm, index, intendedNs, outcome, nowNs) {
        const counts = this.countsFor(arm, intendedNs);
        if (outcome.kind === 'timeout')
            counts.errors.timeout++;
        else if (outcome.kind === 'network')
            counts.errors.network++;
        else if (outcome.status < 200 || outcome.status > 299) {
            counts.errors.http++;
            counts.statuses[outcome.status] = (counts.statuses[outcome.status] ?? 0) + 1;
        }
        else {
            counts.ok++;
            if (counts === this.measured[arm]) {
                const samples = this.samples[arm];
                samples.latenciesMs.push(((outcome.doneNs ?? nowNs) - intendedNs) / NS_PER_MS);
                samples.indices.push(index);
            }
        }
    }
    /** Adds another window's measurement of the same arms (an extension) to this one. */
    include(other) {
        other.measured.forEach((counts, arm) => {
            const into = this.measured[arm];
            into.attempted += counts.attempted;
            into.ok += counts.ok;
            for (const kind of Object.keys(counts.errors))
                into.errors[kind] += counts.errors[kind];
            for (const [status, count] of Object.entries(counts.statuses)) {
                into.statuses[Number(status)] = (into.statuses[Number(status)] ?? 0) + count;
            }
            this.samples[arm].latenciesMs.push(...other.samples[arm].latenciesMs);
            this.samples[arm].indices.push(...other.samples[arm].indices);
        });
        this.schedulingLagMs.push(...other.schedulingLagMs);
    }
    /** Measured 2xx samples of the arm with the fewest (what an early-stopping look can use). */
    minSamples() {
        return Math.min(...this.samples.map((s) => s.latenciesMs.length));
    }
}
/**
 * Runs the schedule: sends each request at its intended time through `send`, drops (and counts)
 * requests due while `maxInFlight` are outstanding, stops at the end of warm-up + duration, after
 * `maxRequests`, or when `shouldStop` says so, then waits for what is in flight.
 */
async function runLoad(options, send, clock) {
    if (!Number.isInteger(options.arms) || options.arms < 1)
        throw new RangeError('arms must be ≥ 1');
    if (!(options.maxInFlight >= 1))
        throw new RangeError('maxInFlight must be ≥ 1');
    const startNs = clock.now();
    const warmupNs = options.warmupMs * NS_PER_MS;
    const endNs = startNs + warmupNs + options.durationMs * NS_PER_MS;
    const accounting = new LoadAccounting(options.arms, startNs + warmupNs);
    // Per arm, so a slow canary holding its slots never costs stable a request.
    const inFlightByArm = new Array(options.arms).fill(0);
    let inFlight = 0;
    let allSettled;
    let stopRequested = false;
    /** In a closed loop (max arrivals), what a finished request's slot does next. */
    let refill;
    const dispatch = (index, intendedNs, sentNs) => {
        const arm = index % options.arms;
        inFlightByArm[arm]++;
        inFlight++;
        accounting.sent(arm, intendedNs, sentNs);
        let settled = false;
        let sending = true;
        const settle = (outcome) => {
            if (settled)
                return;
            settled = true;
            accounting.finished(arm, index, intendedNs, outcome, outcome.kind === 'response' && outcome.doneNs !== undefined ? outcome.doneNs : clock.now());
            inFlightByArm[arm]--;
            inFlight--;
            if (!stopRequested && options.shouldStop?.(accounting))
                stopRequested = true;
            refill?.();
            if (inFlight === 0)
                allSettled?.();
        };
        // An answer given during the call itself waits for the next turn, so a sender that fails at
        // once cannot recurse through refill without bound.
        const done = (outcome) => {
            if (sending)
                setImmediate(settle, outcome);
            else
                settle(outcome);
        };
        try {
            send(arm, index, done);
        }
        catch (error) {
            done({ kind: 'network', message: String(error) });
        }
        sending = false;
    };
    const settledAll = () => inFlight === 0 ? Promise.resolve() : new Promise((resolve) => (allSettled = resolve));
    if (options.arrivals === 'max') {
        let next = 0;
        // One clock reading per request: a closed loop sends at the moment it means to.
        refill = () => {
            const nowNs = clock.now();
            if (!stopRequested && next < options.maxRequests && nowNs < endNs)
                dispatch(next++, nowNs, undefined);
        };
        for (let slot = 0; slot < options.maxInFlight * options.arms; slot++)
            refill();
        await settledAll();
        return accounting;
    }
    const offsets = arrivalOffsets(options.ratePerSecond, options.arrivals, options.seed);
    for (let index = 0; index < options.maxRequests && !stopRequested; index++) {
        const intendedNs = startNs + offsets.next().value;
        if (intendedNs >= endNs)
            break;
        if (clock.now() < intendedNs)
            await clock.sleepUntil(intendedNs);
        if (stopRequested)
            break;
        const arm = index % options.arms;
        if (inFlightByArm[arm] >= options.maxInFlight)
            accounting.dropped(arm, intendedNs);
        else
            dispatch(index, intendedNs, clock.now());
    }
    await settledAll();
    return accounting;
}
/**
 * The timer thread: waits on a shared word with a sub-millisecond timeout (Atomics.wait, a futex)
 * until the target time the main thread wrote, then posts the generation it served. A worker,
 * because the event loop's own timers have millisecond steps.
 */
const TIMER_THREAD = `
  const { workerData, parentPort } = require('node:worker_threads');
  const generation = new Int32Array(workerData.generation);
  const target = new Float64Array(workerData.target);
  const now = () => Number(process.hrtime.bigint());
  let served = 0;
  for (;;) {
    Atomics.wait(generation, 0, served);
    let current = Atomics.load(generation, 0);
    for (let left = (target[0] - now()) / 1e6; left > 0; left = (target[0] - now()) / 1e6) {
      Atomics.wait(generation, 0, current, left);
      current = Atomics.load(generation, 0);
    }
    served = current;
    parentPort.postMessage(current);
  }`;
/**
 * The real clock: process.hrtime in ns. A timer thread wakes the event loop `spinMs` before the
 * moment (the loop sleeps, so a busy machine's scheduler favours it on wake-up), then it yields
 * turn by turn (I/O keeps flowing) so requests leave within microseconds of their intended time.
 * `close()` stops the thread; a later sleep starts it again.
 *
 * Why 1 ms: on a 2-core VM the wake-up itself was late by more than 0.3 ms often enough to be the
 * generator's p99 error (send lateness p99 0.9–1.6 ms with 0.3 ms, 0.18–0.25 ms with 1 ms; p99
 * error 1.4–2.4 ms against 0.4–0.6 ms; bench/suites/load.ts accuracy set-up). The price is CPU:
 * at 20 req/s the loop spins 2 % of the time, from 1,000 req/s on it spins all the time.
 */
function hrtimeClock(spinMs = 1) {
    const now = () => Number(process.hrtime.bigint());
    const generation = new Int32Array(new SharedArrayBuffer(4));
    const target = new Float64Array(new SharedArrayBuffer(8));
    let thread;
    let waiting;
    const timerThread = () => {
        if (thread === undefined) {
            thread = new external_node_worker_threads_.Worker(TIMER_THREAD, {
                eval: true,
                workerData: { generation: generation.buffer, target: target.buffer },
            });
            thread.on('message', (served) => {
                if (waiting !== undefined && served >= waiting.generation) {
                    const { wake } = waiting;
                    waiting = undefined;
                    wake();
                }
            });
        }
        return thread;
    };
    return {
        now,
        async sleepUntil(ns) {
            const wakeAt = ns - spinMs * NS_PER_MS;
            if (wakeAt > now()) {
                const worker = timerThread();
                waiting?.wake();
                target[0] = wakeAt;
                const next = Atomics.add(generation, 0, 1) + 1;
                Atomics.notify(generation, 0);
                worker.ref();
                await new Promise((wake) => (waiting = { generation: next, wake }));
                // Idle between sleeps, the thread must not keep a finished process alive.
                worker.unref();
            }
            // Turn by turn (I/O is served in between); one promise per sleep, not one per turn, so the
            // spin leaves little garbage behind.
            if (now() < ns) {
                await new Promise((due) => {
                    const check = () => {
                        if (now() >= ns)
                            due();
                        else
                            setImmediate(check);
                    };
                    setImmediate(check);
                });
            }
        },
        async close() {
            const stopping = thread;
            thread = undefined;
            waiting?.wake();
            waiting = undefined;
            if (stopping !== undefined)
                await stopping.terminate();
        },
    };
}
/** Lateness (p99) beyond which the generator, not the server, may be what the latencies show. */
const GENERATOR_LAG_LIMIT_MS = 5;
/** Judges the generator's own health from its scheduling lag and event-loop delay (pure). */
function generatorHealth(schedulingLagMs, eventLoop, limitMs = GENERATOR_LAG_LIMIT_MS) {
    const lag = [...schedulingLagMs].sort((a, b) => a - b);
    const lagP99 = lag.length === 0 ? 0 : (0,quantiles/* quantileOfSorted */.mY)(lag, 0.99);
    const health = {
        schedulingLagP50Ms: lag.length === 0 ? 0 : (0,quantiles/* quantileOfSorted */.mY)(lag, 0.5),
        schedulingLagP99Ms: lagP99,
        schedulingLagMaxMs: lag.length === 0 ? 0 : lag[lag.length - 1],
        eventLoopDelayP99Ms: eventLoop.p99Ms,
        eventLoopDelayMaxMs: eventLoop.maxMs,
        bottleneck: false,
    };
    if (lagP99 > limitMs) {
        return {
            ...health,
            bottleneck: true,
            reason: `the load generator sent its requests late (p99 ${lagP99.toFixed(1)} ms > ${limitMs} ms): latencies include its own delay`,
        };
    }
    if (eventLoop.p99Ms > limitMs) {
        return {
            ...health,
            bottleneck: true,
            reason: `the load generator's event loop was blocked (p99 ${eventLoop.p99Ms.toFixed(1)} ms > ${limitMs} ms): latencies include its own delay`,
        };
    }
    return health;
}
const LOOP_SAMPLE_MS = 1;
/** Runs the load on the real clock and reports the generator's own health beside the results. */
async function measureLoad(options, send, clock = hrtimeClock()) {
    // The histogram records, in ns, the interval between ticks of a timer of this period (ms), so
    // the delay is what exceeds the period.
    const loopDelay = (0,external_node_perf_hooks_.monitorEventLoopDelay)({ resolution: LOOP_SAMPLE_MS });
    loopDelay.enable();
    const startNs = clock.now();
    try {
        const accounting = await runLoad(options, send, clock);
        loopDelay.disable();
        const beyondPeriod = (ns) => Math.max(0, ns / NS_PER_MS - LOOP_SAMPLE_MS);
        const eventLoop = {
            p99Ms: loopDelay.count > 0 ? beyondPeriod(loopDelay.percentile(99)) : 0,
            maxMs: loopDelay.count > 0 ? beyondPeriod(loopDelay.max) : 0,
        };
        return {
            accounting,
            health: generatorHealth(accounting.schedulingLagMs, eventLoop),
            elapsedMs: (clock.now() - startNs) / NS_PER_MS,
        };
    }
    finally {
        loopDelay.disable();
        await clock.close?.();
    }
}
/**
 * Sends the probe as bytes encoded once per arm (only the sequence header, when asked for, makes
 * each request differ). The latency ends when the body has been read, or at the first token.
 */
function httpSender(endpoints, probe, options) {
    const { clock, sequenceHeader, timeoutMs } = options;
    const arms = endpoints.map((endpoint) => {
        const request = {
            method: probe.method,
            path: endpoint.pathPrefix + probe.path,
            host: endpoint.pool.host,
            headers: { ...probe.headers, ...endpoint.headers },
            ...(probe.body !== undefined ? { body: probe.body } : {}),
        };
        return { pool: endpoint.pool, request, bytes: (0,http1/* encodeRequest */.kf)(request) };
    });
    const requestBytes = (arm, index) => {
        const { request, bytes } = arms[arm];
        return sequenceHeader === undefined
            ? bytes
            : (0,http1/* encodeRequest */.kf)({ ...request, headers: { ...request.headers, [sequenceHeader]: String(index) } });
    };
    return (arm, index, done) => {
        let firstTokenNs;
        const handler = {
            end: (status) => done({ kind: 'response', status, doneNs: firstTokenNs ?? clock.now() }),
            fail: (kind, message) => done(kind === 'timeout' ? { kind } : { kind, message }),
        };
        if (probe.firstToken !== undefined) {
            const scanner = probe.firstToken();
            // A token's UTF-8 bytes may be split between chunks; the decoder holds the partial character.
            const decoder = new external_node_string_decoder_.StringDecoder('utf8');
            handler.body = (chunk) => {
                if (firstTokenNs === undefined && scanner.push(decoder.write(chunk)))
                    firstTokenNs = clock.now();
            };
        }
        arms[arm].pool.send(requestBytes(arm, index), handler, timeoutMs);
    };
}

;// CONCATENATED MODULE: ./src/load/protocols.ts
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };
/**
 * The request body: the user's probe-payload when given, else one built from what the server
 * said (`known`); `missing` is the error when there is neither.
 */
function payloadOr(payload, known, build, missing) {
    if (payload !== undefined)
        return payload;
    if (known === undefined)
        throw new Error(missing);
    return build(known);
}
const V2_INFER_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer$/;
/** The model name (and version) in a `/v2/models/{name}[/versions/{v}]/infer` path, if it is one. */
function parseV2InferPath(path) {
    const match = V2_INFER_PATH.exec(path);
    if (!match)
        return undefined;
    const model = decodeURIComponent(match[1]);
    return match[2] === undefined ? { model } : { model, version: decodeURIComponent(match[2]) };
}
/** Base path of one model (and version) in the Open Inference Protocol. */
function v2ModelPath(model, version) {
    const base = `/v2/models/${encodeURIComponent(model)}`;
    return version === undefined ? base : `${base}/versions/${encodeURIComponent(version)}`;
}
/** Reads a metadata response, naming what is missing when it is not one. */
function parseModelMetadata(body) {
    const fail = (what) => {
        throw new Error(`the model metadata (GET /v2/models/{name}) ${what}`);
    };
    if (body === null || typeof body !== 'object')
        return fail('is not a JSON object');
    const { name, inputs } = body;
    if (!Array.isArray(inputs) || inputs.length === 0)
        return fail('lists no inputs');
    return {
        name: typeof name === 'string' ? name : '',
        inputs: inputs.map((input, index) => {
            const { name: tensor, datatype, shape } = (input ?? {});
            if (typeof tensor !== 'string' || typeof datatype !== 'string' || !Array.isArray(shape)) {
                return fail(`input ${index + 1} lacks a name, datatype or shape`);
            }
            if (!shape.every((dim) => Number.isInteger(dim) && dim >= -1)) {
                return fail(`input '${tensor}' has a shape that is not whole numbers ≥ -1`);
            }
            return { name: tensor, datatype: datatype.toUpperCase(), shape: shape };
        }),
    };
}
/** A variable dimension (-1) becomes 1: the smallest valid request. */
function concreteShape(shape) {
    return shape.map((dim) => (dim === -1 ? 1 : dim));
}
/** Deterministic element `i` of a tensor of `datatype`: the same request every run, every arm. */
function tensorElement(datatype, i) {
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
const MAX_GENERATED_ELEMENTS = 1 << 20;
/** A valid inference request for a model, from its metadata alone. */
function v2RequestFromMetadata(metadata) {
    return {
        inputs: metadata.inputs.map((input) => {
            const shape = concreteShape(input.shape);
            const count = shape.reduce((product, dim) => product * dim, 1);
            if (count > MAX_GENERATED_ELEMENTS) {
                throw new Error(`input '${input.name}' has ${count} elements (shape ${JSON.stringify(shape)}); give a probe-payload for this model`);
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
function v2InferRequest(model, version, payload, metadata) {
    const body = payloadOr(payload, metadata, (known) => JSON.stringify(v2RequestFromMetadata(known)), 'a v2 probe needs a probe-payload or the model metadata');
    return { method: 'POST', path: `${v2ModelPath(model, version)}/infer`, headers: { ...JSON_HEADERS }, body };
}
// --- openai: chat completions -----------------------------------------------------------------
const OPENAI_CHAT_PATH = '/v1/chat/completions';
/**
 * The chat request the probe sends when no payload is given: short, deterministic, streamed so
 * the latency is the time to the first token (what a user waits for).
 */
function openAiChatBody(model) {
    return JSON.stringify({
        model,
        messages: [{ role: 'user', content: 'Reply with one word: ready.' }],
        max_tokens: 16,
        temperature: 0,
        stream: true,
    });
}
/** True when a request body asks for a server-sent-event stream. */
function isStreamingBody(body) {
    try {
        return JSON.parse(body).stream === true;
    }
    catch {
        return false;
    }
}
/** The first model id of a `GET /v1/models` answer. */
function firstOpenAiModel(body) {
    const data = body?.data;
    const id = Array.isArray(data) ? data[0]?.id : undefined;
    if (typeof id !== 'string' || id === '')
        throw new Error('GET /v1/models listed no model');
    return id;
}
/**
 * Watches an OpenAI server-sent-event stream for the first chunk that carries generated text
 * (a chat `delta.content` or a completion `text`); the role-only opening chunk does not count.
 */
function openAiFirstTokenScanner() {
    let pending = '';
    let found = false;
    return {
        push(chunk) {
            if (found)
                return true;
            pending += chunk;
            let newline;
            while ((newline = pending.indexOf('\n')) !== -1) {
                const line = pending.slice(0, newline).trim();
                pending = pending.slice(newline + 1);
                if (!line.startsWith('data:'))
                    continue;
                const data = line.slice(5).trim();
                if (data === '[DONE]')
                    continue;
                try {
                    const event = JSON.parse(data);
                    const choice = event.choices?.[0];
                    const text = choice?.delta?.content ?? choice?.text;
                    if (typeof text === 'string' && text !== '')
                        return (found = true);
                }
                catch {
                    // A line split across chunks is completed by the next chunk; anything else is not a token.
                }
            }
            return false;
        },
    };
}
/** The OpenAI chat request; a streaming one is timed to its first token. */
function openAiChatRequest(path, payload, model) {
    const body = payloadOr(payload, model, openAiChatBody, 'an openai probe needs a probe-payload or a model id');
    const streaming = isStreamingBody(body);
    return {
        method: 'POST',
        path,
        headers: { ...JSON_HEADERS, ...(streaming ? { accept: 'text/event-stream' } : {}) },
        body,
        ...(streaming ? { firstToken: openAiFirstTokenScanner } : {}),
    };
}
// --- http: the user's own request -------------------------------------------------------------
/** A plain HTTP probe: POST with the payload when one is given, GET otherwise (unless told). */
function plainHttpRequest(path, method, payload) {
    const chosen = method ?? (payload === undefined ? 'GET' : 'POST');
    if (chosen === 'GET' && payload !== undefined)
        throw new Error('a GET probe cannot send a probe-payload');
    return {
        method: chosen,
        path,
        headers: payload === undefined ? {} : { 'content-type': contentTypeOf(payload) },
        ...(payload !== undefined ? { body: payload } : {}),
    };
}
function contentTypeOf(payload) {
    try {
        JSON.parse(payload);
        return 'application/json';
    }
    catch {
        return 'application/octet-stream';
    }
}
/** The checks a protocol makes before measuring, each `[path, what it means]`. */
function readinessChecks(spec) {
    if (spec.protocol === 'v2') {
        const target = v2Target(spec);
        return [[`${v2ModelPath(target.model, target.version)}/ready`, `model '${target.model}' ready`]];
    }
    if (spec.protocol === 'openai')
        return [['/v1/models', 'OpenAI model list']];
    return [];
}
function v2Target(spec) {
    if (spec.path !== undefined) {
        const parsed = parseV2InferPath(spec.path);
        if (parsed === undefined)
            throw new Error(`probe-path '${spec.path}' is not /v2/models/{name}/infer`);
        return parsed;
    }
    return { model: spec.defaultModel };
}
/**
 * Checks that each arm is ready and builds the request both arms will get. `get` is called for
 * every arm (readiness must hold on both); the metadata comes from the stable arm (the first).
 */
async function prepareProbe(spec, arms) {
    for (const [path, what] of readinessChecks(spec)) {
        for (const get of arms) {
            const { status } = await get(path);
            if (status < 200 || status > 299)
                throw new Error(`${what}: GET ${path} answered ${status}`);
        }
    }
    const first = arms[0];
    switch (spec.protocol) {
        case 'v2': {
            const target = v2Target(spec);
            let metadata;
            if (spec.payload === undefined) {
                const path = v2ModelPath(target.model, target.version);
                const { status, json } = await first(path);
                if (status !== 200)
                    throw new Error(`GET ${path} (model metadata) answered ${status}`);
                metadata = parseModelMetadata(json);
            }
            return v2InferRequest(target.model, target.version, spec.payload, metadata);
        }
        case 'openai': {
            let model;
            if (spec.payload === undefined)
                model = firstOpenAiModel((await first('/v1/models')).json);
            return openAiChatRequest(spec.path ?? OPENAI_CHAT_PATH, spec.payload, model);
        }
        case 'http':
            if (spec.path === undefined)
                throw new Error('probe-protocol http needs probe-path');
            return plainHttpRequest(spec.path, spec.method, spec.payload);
    }
}
/**
 * The protocol to probe with: the input when given, else the runtime's (Triton and MLServer speak
 * v2, vLLM speaks OpenAI); a custom path with nothing else known is plain HTTP.
 */
function probeProtocolFor(protocol, runtime, path) {
    if (protocol !== undefined)
        return protocol;
    if (runtime === 'vllm')
        return 'openai';
    if (runtime === 'triton' || runtime === 'mlserver')
        return 'v2';
    if (path === undefined || parseV2InferPath(path) !== undefined)
        return 'v2';
    return path.startsWith('/v1/') ? 'openai' : 'http';
}

// EXTERNAL MODULE: ./src/load/targets.ts + 1 modules
var load_targets = __webpack_require__(8886);
// EXTERNAL MODULE: ./src/stats/latency-percentiles.ts
var latency_percentiles = __webpack_require__(38868);
// EXTERNAL MODULE: ./src/stats/memo.ts
var stats_memo = __webpack_require__(36425);
;// CONCATENATED MODULE: ./src/stages/analyse.ts
/**
 * The `analyse` stage: measures the canary beside stable on one interleaved schedule and runs the
 * step's checks at planned looks, stopping as soon as the answer is clear. Connects the pieces:
 * targets (how to reach each arm) → protocols (what to send, after readiness) → load (the
 * schedule) → checks (the decision). Returns the judgement with every number the report shows;
 * decide measures the later canary steps with the same analyseStep.
 */














/** Arms in schedule order: request 0 goes to stable, 1 to canary, 2 to stable, … */
const ARMS = ['stable', 'canary'];
/** A request still unanswered after this long counts as a timeout. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Readiness and metadata requests before the measurement. */
const PREPARE_TIMEOUT_MS = 10_000;
/** Samples per arm at which the judge looks: K equally spaced looks up to the planned total. */
function lookSchedule(plannedPerArm, looks) {
    const total = Math.max(1, Math.floor(plannedPerArm));
    return Array.from({ length: looks }, (_, k) => Math.max(1, Math.round((total * (k + 1)) / looks)));
}
function summarise(accounting, arm, target, memo) {
    const counts = accounting.measured[arm];
    const errors = Object.values(counts.errors).reduce((sum, count) => sum + count, 0);
    return {
        target,
        attempted: counts.attempted,
        ok: counts.ok,
        errors: { ...counts.errors },
        statuses: { ...counts.statuses },
        errorRate: counts.attempted > 0 ? errors / counts.attempted : 0,
        ...(0,latency_percentiles/* latencyPercentiles */.rS)(accounting.samples[arm].latenciesMs, memo),
    };
}
/** What the judge sees of one arm: finished requests only (in-flight ones have no outcome yet). */
function observations(accounting, arm) {
    const counts = accounting.measured[arm];
    const errors = counts.errors.http + counts.errors.timeout + counts.errors.network + counts.errors.dropped;
    return { latenciesMs: accounting.samples[arm].latenciesMs, errors, requests: counts.ok + errors };
}
/** Finished requests (2xx or failed) of the arm with the fewest, in the measurement window. */
function minFinished(accounting) {
    let fewest = Number.POSITIVE_INFINITY;
    for (const counts of accounting.measured) {
        const { http, timeout, network, dropped } = counts.errors;
        fewest = Math.min(fewest, counts.ok + http + timeout + network + dropped);
    }
    return fewest;
}
function measureWith(options, endpoints, request) {
    const clock = hrtimeClock();
    return measureLoad(options, httpSender(endpoints, request, { timeoutMs: REQUEST_TIMEOUT_MS, clock }), clock);
}
async function armTargets(plan, settings, kube, arms, options) {
    if (settings.probe.target === 'url') {
        if (settings.probe.url === undefined)
            throw new Error('probe-target url needs probe-url');
        return arms.map((arm) => (0,load_targets/* urlArmTarget */.ly)(settings.probe.url, arm));
    }
    const services = {
        canary: options.services?.canary ?? plan.objects.canaryService,
        stable: options.services?.stable ?? plan.objects.stableService,
    };
    const both = await (0,load_targets/* proxyArmTargets */.$4)(kube, plan.namespace, services);
    return arms.map((arm) => both.find((target) => target.arm === arm));
}
/**
 * Runs warm-up and measurement against the canary and stable arms and returns the judge's
 * verdict. With `on-inconclusive: extend`, an inconclusive first window is followed by one more
 * of the same length, judged on both windows together.
 */
async function analyse(plan, settings, kube, options = {}) {
    const log = options.log ?? (() => undefined);
    const arms = options.compareWithStable === false ? ['canary'] : ARMS;
    const workspace = options.workspace ?? process.env['GITHUB_WORKSPACE'] ?? process.cwd();
    const probe = settings.probe;
    const protocol = probeProtocolFor(probe.protocol, settings.build.runtime, probe.path);
    const payload = probe.payloadFile === undefined ? undefined : await (0,promises_.readFile)((0,external_node_path_.join)(workspace, probe.payloadFile), 'utf8');
    const targets = await armTargets(plan, settings, kube, arms, options);
    for (const target of targets)
        log(`probe target ${(0,load_targets/* describeArm */.qz)(target)}`);
    // Enough sockets per arm for every request that may be outstanding at the rate within a second,
    // bounded so a stalled arm cannot pile up connections on the API server.
    const maxInFlight = Math.min(256, Math.max(8, Math.ceil(probe.ratePerSecond)));
    const open = (0,load_targets/* openArms */.wg)(targets, maxInFlight);
    try {
        const spec = {
            protocol,
            defaultModel: options.modelName ?? plan.target,
            ...(probe.path !== undefined ? { path: probe.path } : {}),
            ...(payload !== undefined ? { payload } : {}),
            ...(probe.method !== undefined ? { method: probe.method } : {}),
        };
        const request = await prepareProbe(spec, open.endpoints.map((endpoint) => (0,load_targets/* armGet */.XM)(endpoint, PREPARE_TIMEOUT_MS)));
        log(`probe: ${protocol} ${request.method} ${request.path}, ${probe.ratePerSecond} req/s per arm, warm-up ${probe.warmupMs} ms, ${probe.durationMs} ms`);
        const plannedPerArm = (probe.ratePerSecond * probe.durationMs) / 1000;
        const looks = lookSchedule(plannedPerArm, check/* DEFAULT_PLANNED_LOOKS */.EF);
        let looksTaken = 0;
        let verdict;
        const memo = new stats_memo/* Memo */.l();
        const judgeNow = (accounting, index) => (0,step/* judgeStep */.c)({
            canary: observations(accounting, arms.indexOf('canary')),
            ...(arms.length === 2 ? { stable: observations(accounting, arms.indexOf('stable')) } : {}),
            gate: settings.gate,
            look: { index, of: looks.length },
            memo,
        });
        const loadOptions = {
            arms: arms.length,
            ratePerSecond: probe.ratePerSecond * arms.length,
            arrivals: 'poisson',
            seed: 1,
            warmupMs: probe.warmupMs,
            durationMs: probe.durationMs,
            // Time ends the run; this bound only caps a runaway (Poisson counts exceed the mean half the time).
            maxRequests: Math.ceil((probe.ratePerSecond * arms.length * (probe.warmupMs + probe.durationMs) * 1.5) / 1000) +
                100,
            maxInFlight,
            shouldStop: (accounting) => {
                // The last planned look is taken once the window ends, on whatever arrived.
                // Looks count finished requests, so a canary that only fails is judged (on errors) in time.
                if (looksTaken >= looks.length - 1 || minFinished(accounting) < looks[looksTaken])
                    return false;
                looksTaken++;
                verdict = judgeNow(accounting, looksTaken);
                log(`look ${looksTaken}/${looks.length}: ${verdict.decision}: ${verdict.reason}`);
                return verdict.decision !== 'continue';
            },
        };
        const first = await measureWith(loadOptions, open.endpoints, request);
        let run = first;
        if (verdict === undefined || verdict.decision === 'continue') {
            looksTaken = looks.length;
            verdict = judgeNow(run.accounting, looks.length);
            log(`look ${looksTaken}/${looks.length}: ${verdict.decision}: ${verdict.reason}`);
        }
        const stoppedEarly = looksTaken < looks.length;
        let measuredMs = run.elapsedMs - probe.warmupMs;
        if (verdict.decision === 'inconclusive' && settings.gate.onInconclusive === 'extend') {
            log('inconclusive: on-inconclusive is extend, measuring one more window');
            const second = await measureWith({ ...loadOptions, warmupMs: 0, shouldStop: undefined }, open.endpoints, request);
            second.accounting.include(first.accounting);
            run = second;
            measuredMs += second.elapsedMs;
            verdict = judgeNow(run.accounting, looks.length);
            log(`extended window: ${verdict.decision}: ${verdict.reason}`);
        }
        if (run.health.bottleneck)
            log(`warning: ${run.health.reason}`);
        const summaries = {};
        arms.forEach((arm, index) => (summaries[arm] = summarise(run.accounting, index, (0,load_targets/* describeArm */.qz)(targets[index]), memo)));
        return {
            judgement: verdict,
            arms: summaries,
            generator: run.health,
            protocol,
            ratePerArm: probe.ratePerSecond,
            looksTaken,
            stoppedEarly,
            measuredMs,
        };
    }
    finally {
        await open.close();
    }
}
/** The verdict a step hands to `decide`: `inconclusive` resolved by on-inconclusive. */
function stepVerdictOf(judgement, onInconclusive) {
    if (judgement.decision === 'revert' || judgement.decision === 'promote') {
        return { decision: judgement.decision, reason: judgement.reason };
    }
    // `extend` already measured a second window; still unclear, the safe side is stable.
    const decision = onInconclusive === 'promote' ? 'promote' : 'revert';
    return { decision, reason: `${judgement.reason}; on-inconclusive ${onInconclusive}: ${decision}` };
}
/** Measures one canary step (its arm Services at its weight) and judges it. */
async function analyseStep(run, step) {
    const { plan, settings } = run;
    // Its own connection: the rollout's request count stays the rollout's.
    const cluster = (0,kube_cluster.clusterOf)(settings);
    const { judgement, ...load } = await analyse(plan, settings, cluster.config, {
        services: { canary: step.canaryService, stable: step.stableService },
        compareWithStable: !step.firstDeploy,
        ...(run.image?.modelName !== undefined ? { modelName: run.image.modelName } : {}),
        log: (line) => core/* info */.pq(line),
    });
    return { step, judgement, verdict: stepVerdictOf(judgement, settings.gate.onInconclusive), load };
}
/**
 * The first step to measure: the canary the deploy stage left running (or, on a first deploy, the
 * new stable alone against absolute limits); a preview is measured against production's stable.
 */
function firstStep({ plan, settings, rollout, canary }) {
    if (rollout === undefined || canary === undefined)
        throw new errors/* ClusterError */.b$('canary', 'analyse ran without a deployed canary');
    if (plan.preview === undefined)
        return (0,kube_rollout/* canaryStep */.p3)(rollout.ctx, canary, 0);
    return {
        namespace: plan.namespace,
        stableService: (0,src_plan/* objectNames */.Wd)(settings.name).stableService,
        canaryService: plan.objects.stableService,
        firstDeploy: false,
        weightPercent: 0,
        achievedPercent: 0,
        index: 0,
        total: 1,
    };
}
/** Stage `analyse`: measures and judges the first step. */
async function analyseStage(run) {
    return { analyses: [await analyseStep(run, firstStep(run))] };
}


/***/ }),

/***/ 25099:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   decideStage: () => (/* binding */ decideStage)
/* harmony export */ });
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57264);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(83916);
/* harmony import */ var _kube_rollout_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(54389);
/* harmony import */ var _run_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(79786);
/* harmony import */ var _analyse_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(20186);
/**
 * Stage `decide`: owns the canary's step loop. The first step was measured by `analyse`; while the
 * steps pass, it moves the canary to the next weight and measures again (analyseStep), then
 * promotes, or undoes the canary when a step says revert.
 */





/** Walks the remaining canary steps, then promotes or reverts on the last step's verdict. */
async function decideStage(run) {
    const session = (0,_run_js__WEBPACK_IMPORTED_MODULE_4__/* .rolloutOf */ .Z)(run);
    const { plan } = run;
    let canary = run.canary;
    let last = run.analyses.at(-1);
    if (canary === undefined)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ClusterError */ .b$('canary', 'decide ran without a deployed canary');
    if (last === undefined)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .CanaryFailed */ .ii('NoVerdict', 'the analyse stage measured no step');
    const analyses = [...run.analyses];
    const steps = canary.firstDeploy ? [100] : plan.traffic.steps;
    for (let index = analyses.length; last.verdict.decision === 'promote' && index < steps.length; index++) {
        canary = await (0,_kube_rollout_js__WEBPACK_IMPORTED_MODULE_2__/* .setCanaryWeight */ .$4)(session.ctx, canary, steps[index]);
        last = await (0,_analyse_js__WEBPACK_IMPORTED_MODULE_3__.analyseStep)(run, (0,_kube_rollout_js__WEBPACK_IMPORTED_MODULE_2__/* .canaryStep */ .p3)(session.ctx, canary, index));
        analyses.push(last);
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(`step ${index + 1}/${steps.length} at ${canary.weightPercent}%: ${last.verdict.decision} (${last.verdict.reason})`);
    }
    if (last.verdict.decision === 'revert') {
        const cause = new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .CanaryFailed */ .ii('AnalysisFailed', last.verdict.reason);
        await session.undo(cause.message);
        return { canary, analyses, outcome: { decision: 'reverted', reason: cause.message, cause } };
    }
    if (session.lease.lostTo !== undefined) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ClusterError */ .b$(`Lease ${plan.namespace}/${plan.objects.lease}`, `was taken by ${session.lease.lostTo} during the analysis; not promoting over another run`);
    }
    const pinned = await (0,_kube_rollout_js__WEBPACK_IMPORTED_MODULE_2__/* .promoteCanary */ .zG)(session.ctx, canary);
    session.settle();
    return { canary, analyses, outcome: { decision: 'promoted', reason: last.verdict.reason, image: pinned } };
}


/***/ })

};
