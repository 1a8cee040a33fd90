/** `defaults` overridden by the options that are set (undefined means "not given", not "unset"). */
export function withDefaults<D extends object>(defaults: D, options: object): D {
  const given = Object.fromEntries(Object.entries(options).filter(([key, value]) => value !== undefined && key in defaults));
  return { ...defaults, ...given } as D;
}
