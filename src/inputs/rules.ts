/**
 * Rules that span sections: what each mode needs of the inputs and the run, and what a runtime
 * needs of the probe.
 */
import type { AnswerSettings } from './answers.ts';
import type { BuildSettings } from './build.ts';
import { isStreamingBody, probeProtocolFor } from '../load/protocols.ts';
import type { InputReader } from './input-reader.ts';
import type { ProbeSettings } from './probe.ts';
import type { Mode, ReleaseVersion, Settings } from './settings.ts';
import type { TrafficSettings } from './traffic.ts';

const COMMIT_SHA = /^[0-9a-f]{7,64}$/;
const RELEASE_TAG = /^refs\/tags\/v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

/** A Dockerfile's server speaks no protocol we can know, so the probe must name one (or a path). */
export function checkProbeFitsRuntime(
  read: InputReader,
  runtime: BuildSettings['runtime'],
  probe: ProbeSettings,
): void {
  if (probe.protocol === undefined && runtime === 'dockerfile' && probe.path === undefined) {
    read.problem(
      'probe-protocol',
      'runtime dockerfile has no known protocol; set probe-protocol (v2, openai or http)',
    );
  }
}

/**
 * What the answers' comparison needs of the probe: a mode that fits its protocol, and expected
 * outputs keyed by requests probe-payload holds.
 */
export function checkAnswersFitProbe(
  read: InputReader,
  runtime: BuildSettings['runtime'],
  probe: ProbeSettings,
  answers: AnswerSettings,
): void {
  // With runtime auto the protocol is known only after the build detects the runtime.
  const protocol =
    probe.protocol ?? (runtime === 'auto' ? undefined : probeProtocolFor(undefined, runtime, probe.path));
  const said = probe.protocol !== undefined ? `probe-protocol ${protocol}` : `runtime ${runtime}`;
  if (answers.compare === 'tensor' && protocol === 'openai') {
    read.problem('compare', `tensor compares V2 outputs; ${said} answers text (use compare text)`);
  }
  if (answers.compare === 'text' && protocol === 'v2') {
    read.problem('compare', `text compares OpenAI answers; ${said} answers tensors (use compare tensor)`);
  }
  if (answers.expectedFile === undefined) return;
  if (probe.payloadFile === undefined && read.optional('probe-payload') === undefined) {
    read.problem('expected-outputs', 'is keyed by the requests of probe-payload; set probe-payload too');
    return;
  }
  if (answers.expected === undefined || probe.requests === undefined) return;
  const ids = new Set(probe.requests.entries.map((entry) => entry.id));
  for (const entry of answers.expected.entries) {
    if (!ids.has(entry.id)) {
      const known = [...ids].slice(0, 5).join(', ');
      read.problem(
        'expected-outputs',
        `${entry.where}: key '${entry.id}' is not a request of probe-payload (its ids: ${known}${ids.size > 5 ? ', …' : ''})`,
      );
    }
  }
}

/**
 * max-regression-ttft and max-regression-tpot bound the times of streamed OpenAI answers: set for
 * a probe that sends none, they would hold nothing, so they are refused rather than ignored.
 */
export function checkStreamGatesFitProbe(
  read: InputReader,
  runtime: BuildSettings['runtime'],
  probe: ProbeSettings,
): void {
  const given = (['max-regression-ttft', 'max-regression-tpot'] as const).filter(
    (name) => read.optional(name) !== undefined,
  );
  if (given.length === 0) return;
  // With runtime auto the protocol is known only after the build detects the runtime.
  const protocol =
    probe.protocol ?? (runtime === 'auto' ? undefined : probeProtocolFor(undefined, runtime, probe.path));
  const said = probe.protocol !== undefined ? `probe-protocol ${protocol}` : `runtime ${runtime}`;
  const entries = probe.requests?.entries ?? [];
  for (const name of given) {
    if (protocol !== undefined && protocol !== 'openai') {
      read.problem(
        name,
        `bounds the tokens of streamed OpenAI answers, and ${said} sends no such request; remove it, or probe with probe-protocol openai`,
      );
    } else if (protocol === 'openai' && entries.length > 0 && !entries.some((e) => isStreamingBody(e.body))) {
      read.problem(
        name,
        'bounds the tokens of streamed OpenAI answers, and no request of probe-payload sets "stream": true; stream them, or remove it',
      );
    }
  }
}

/** What each mode needs: an image and a commit to push, a model to build, a pull request to preview. */
export function checkModeNeeds(
  read: InputReader,
  settings: Pick<Settings, 'mode' | 'dryRun' | 'build' | 'run'>,
): void {
  const { mode, dryRun, build, run } = settings;
  const needsBuild = mode === 'canary' || mode === 'preview';
  // An input that was given but refused is already reported; these name only the missing ones.
  if (
    (needsBuild || mode === 'release') &&
    build.image === undefined &&
    read.optional('image') === undefined
  ) {
    read.problem('image', `mode ${mode} needs the repository to push to, e.g. ghcr.io/org/resnet`);
  }
  if (
    needsBuild &&
    build.model === undefined &&
    build.runtime !== 'dockerfile' &&
    read.optional('model') === undefined
  ) {
    read.problem(
      'model',
      `mode ${mode} needs a model path or hf://org/name (or runtime dockerfile with input dockerfile)`,
    );
  }
  if ((needsBuild || mode === 'release') && !dryRun && !COMMIT_SHA.test(run.sha)) {
    read.problem(
      'mode',
      `mode ${mode} tags the image with the commit SHA, but GITHUB_SHA is '${run.sha}'; run it from a GitHub workflow`,
    );
  }
  if (mode === 'preview' && run.pullRequest === undefined) {
    read.problem(
      'mode',
      `mode ${mode} runs on a pull_request event (this run's event is '${run.eventName || 'unknown'}')`,
    );
  }
}

/**
 * Only mode canary pauses: the other modes walk no canary steps, and a release moves its floating
 * tags when it promotes, which a later run of mode promote (no registry login, no release) cannot.
 */
export function checkPauseFitsMode(read: InputReader, mode: Mode, traffic: TrafficSettings): void {
  if (traffic.pauseAfter === undefined || mode === 'canary') return;
  const input = read.optional('pause-after') !== undefined ? 'pause-after' : 'pause';
  read.problem(
    input,
    mode === 'release'
      ? 'mode release moves the floating release tags when it promotes, which a later mode promote cannot do; pause a canary (mode canary) instead, or remove it'
      : `mode ${mode} walks no canary steps, so there is nothing to pause; it applies to mode canary only`,
  );
}

/** In release mode, the semantic version of the tag the run is on; a problem when it is on none. */
export function releaseVersionOf(read: InputReader, mode: Mode, ref: string): ReleaseVersion | undefined {
  if (mode !== 'release') return undefined;
  const tag = RELEASE_TAG.exec(ref);
  if (!tag) {
    read.problem(
      'mode',
      `mode release runs on a tag such as v1.2.3 (this run's ref is '${ref || 'unknown'}')`,
    );
    return undefined;
  }
  return {
    major: Number(tag[1]),
    minor: Number(tag[2]),
    patch: Number(tag[3]),
    ...(tag[4] !== undefined ? { prerelease: tag[4] } : {}),
  };
}
