/** Which input values are secrets, so the adapter masks them in the log before anything else runs. */
import { parse as parseYaml } from 'yaml';
import type { InputName } from './input-names.ts';

/** Inputs whose whole value is a secret. */
const SECRET_INPUTS: readonly InputName[] = ['registry-password', 'github-token'];

/** Every input that holds a secret, whole or in part. */
export const MASKED_INPUTS: readonly InputName[] = [...SECRET_INPUTS, 'build-secrets', 'kubeconfig'];

const KUBECONFIG_CREDENTIAL_FIELDS = [
  'token',
  'client-key-data',
  'client-certificate-data',
  'password',
  'id-token',
  'refresh-token',
];

/** Lines of a secret worth masking: every credential-looking scalar of a kubeconfig or secret list. */
export function secretValuesOf(name: InputName, raw: string): string[] {
  if (raw.trim() === '') return [];
  if (name === 'build-secrets') {
    return raw
      .split('\n')
      .map((line) => line.slice(line.indexOf('=') + 1).trim())
      .filter((value) => value !== '');
  }
  if (name === 'kubeconfig') return kubeconfigCredentials(raw);
  return SECRET_INPUTS.includes(name) ? [raw.trim()] : [];
}

/** Credential values anywhere in a kubeconfig; a line-based scan when it does not parse. */
function kubeconfigCredentials(raw: string): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (KUBECONFIG_CREDENTIAL_FIELDS.includes(key) && typeof value === 'string') found.push(value);
        else visit(value);
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
