// The shape every metadata format is read into before the tenant's mapping applies.
export type RawValue = string | number | boolean | null;
export type RawRecord = Record<string, RawValue>;

/**
 * Sets an own property even for the name `__proto__`, which plain assignment would turn into a
 * prototype change (and silently drop the field).
 */
export function setOwn<T>(target: Record<string, T>, name: string, value: NoInfer<T>): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[name] = value;
  }
}

export function hasOwn(target: object, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, name);
}
