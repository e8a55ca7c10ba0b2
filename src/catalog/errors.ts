/** A problem in the catalog, located by file and field so the fix is obvious. */
export class CatalogError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    readonly detail: string,
  ) {
    super(field ? `${file}: ${field}: ${detail}` : `${file}: ${detail}`);
    this.name = "CatalogError";
  }
}

/** Several catalog problems reported at once, so one run shows every fix needed. */
export class CatalogErrors extends Error {
  constructor(readonly problems: CatalogError[]) {
    super(problems.map((p) => p.message).join("\n"));
    this.name = "CatalogErrors";
  }
}

/** A bad argument to a module function, named as the CLI spells it. */
export class ArgumentError extends Error {
  constructor(
    readonly argument: string,
    detail: string,
  ) {
    super(`--${argument}: ${detail}`);
    this.name = "ArgumentError";
  }
}
