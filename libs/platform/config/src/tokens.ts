// STATUS_API_TOKENS (CONTRACT.md): `token:scope,...`, scope `*` or tenant ids joined by `+`.
export type TokenScope = { all: true } | { all: false; tenants: Set<string> };

export function parseApiTokens(raw: string): Map<string, TokenScope> {
  const tokens = new Map<string, TokenScope>();
  const problems: string[] = [];
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      const separator = entry.lastIndexOf(':');
      if (separator <= 0 || separator === entry.length - 1) {
        problems.push(`entry ${index + 1}: expected token:scope`);
        return;
      }
      const token = entry.slice(0, separator);
      const scope = entry.slice(separator + 1);
      if (scope === '*') tokens.set(token, { all: true });
      else {
        const tenants = scope.split('+');
        if (tenants.some((t) => !/^[a-z0-9-]+$/.test(t)))
          problems.push(`entry ${index + 1}: scope must be * or tenant ids joined by +`);
        tokens.set(token, { all: false, tenants: new Set(tenants) });
      }
    });
  if (problems.length) throw new Error(problems.join('; '));
  return tokens;
}

export function scopeAllows(scope: TokenScope, tenantId: string): boolean {
  return scope.all || scope.tenants.has(tenantId);
}
