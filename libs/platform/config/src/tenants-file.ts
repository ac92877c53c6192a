// Reads and validates the tenants file. Relative roots resolve against the file's folder,
// so a tenants file and its folders can move together.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseTenantsFile, type TenantConfig, type TenantsFile } from '@callintake/schemas';
import { ConfigError } from './env';

export async function loadTenantsFile(path: string): Promise<TenantsFile> {
  if (!path) throw new ConfigError(['INGEST_TENANTS / --tenants: no tenants file given']);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError([
      `tenants file ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    ]);
  }
  let document: unknown;
  try {
    document = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError([`tenants file ${path}: not valid YAML/JSON: ${(error as Error).message}`]);
  }
  const result = parseTenantsFile(document);
  if (!result.ok) throw new ConfigError(result.errors.map((e) => `tenants file ${path}: ${e}`));
  const base = dirname(resolve(path));
  return { tenants: result.value.tenants.map((tenant) => resolveRoots(tenant, base)) };
}

function resolveRoots(tenant: TenantConfig, base: string): TenantConfig {
  const at = (root: string) => (isAbsolute(root) ? root : resolve(base, root));
  return {
    ...tenant,
    source:
      tenant.source.kind === 'local' ? { ...tenant.source, root: at(tenant.source.root) } : tenant.source,
    archive:
      tenant.archive.kind === 'local' ? { ...tenant.archive, root: at(tenant.archive.root) } : tenant.archive,
  };
}
