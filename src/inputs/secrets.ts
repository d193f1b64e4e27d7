/** Which input values are secrets, so the adapter masks them in the log before anything else runs. */
import { parse as parseYaml } from 'yaml';
import type { InputName } from './input-names.ts';

/** Inputs whose whole value is a secret. */
const SECRET_INPUTS: readonly InputName[] = [
  'registry-password',
  'github-token',
  'metrics-token',
  'metrics-password',
];

/** Every input that holds a secret, whole or in part. */
export const MASKED_INPUTS: readonly InputName[] = [...SECRET_INPUTS, 'build-secrets', 'kubeconfig'];

/** Credential fields of a kubeconfig's users, auth-provider `config` included. */
const KUBECONFIG_CREDENTIAL_FIELDS = [
  'token',
  'client-key-data',
  'client-certificate-data',
  'password',
  'id-token',
  'refresh-token',
  'access-token',
  'client-secret',
];

/**
 * Shorter exec env values (`1`, `json`) are settings, not credentials, and masking them would
 * blank every such word in the log.
 */
const MIN_MASKED_LENGTH = 4;

/** A build-secrets line whose part before `=` is a secret id; any other line is masked whole. */
const SECRET_LINE = /^\s*[A-Za-z0-9_][A-Za-z0-9_.-]*\s*=/;

/** Lines of a secret worth masking: every credential-looking scalar of a kubeconfig or secret list. */
export function secretValuesOf(name: InputName, raw: string): string[] {
  if (raw.trim() === '') return [];
  if (name === 'build-secrets') {
    // A line of a pasted PEM (base64 that may hold `=`) is no KEY=VALUE: all of it is secret.
    return raw
      .split('\n')
      .map((line) => (SECRET_LINE.test(line) ? line.slice(line.indexOf('=') + 1) : line).trim())
      .filter((value) => value !== '');
  }
  if (name === 'kubeconfig') return kubeconfigCredentials(raw);
  return SECRET_INPUTS.includes(name) ? [raw.trim()] : [];
}

/**
 * Credential values anywhere in a kubeconfig — the credential fields, and every value of an exec
 * plugin's `env` (where tokens and keys are handed to it); a line-based scan when it does not parse.
 */
function kubeconfigCredentials(raw: string): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (KUBECONFIG_CREDENTIAL_FIELDS.includes(key) && typeof value === 'string') found.push(value);
        else if (key === 'exec' && value !== null && typeof value === 'object') {
          const env = (value as { env?: unknown }).env;
          if (Array.isArray(env))
            for (const variable of env as { value?: unknown }[])
              if (typeof variable?.value === 'string' && variable.value.length >= MIN_MASKED_LENGTH)
                found.push(variable.value);
          visit(value);
        } else visit(value);
      }
    }
  };
  try {
    visit(parseYaml(raw));
    return found;
  } catch {
    const fields = KUBECONFIG_CREDENTIAL_FIELDS.join('|');
    const pattern = new RegExp(`(?:${fields})\\s*:\\s*["']?([^"'\\s,}]+)`, 'g');
    return [...raw.matchAll(pattern)].map((match) => match[1]!);
  }
}
