/**
 * How a PendingEntry reports its outcome. store() gives each entry its own promise; storeEach()
 * shares one settler among all its entries, so a 100-entry request costs one promise instead of
 * a hundred (and no Promise.allSettled bookkeeping): less garbage and less main-thread work per
 * entry on the ingestion path.
 */
export interface Settler {
  fulfil(index: number, id: number): void;
  fail(index: number, error: Error): void;
}

/** The promise of one store(). */
export class SingleSettler implements Settler {
  readonly promise: Promise<number>;
  #resolve!: (id: number) => void;
  #reject!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<number>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  fulfil(_index: number, id: number): void {
    this.#resolve(id);
  }

  fail(_index: number, error: Error): void {
    this.#reject(error);
  }
}

/** One promise for a whole storeEach(): resolves once every entry has committed or failed. */
export class GroupSettler implements Settler {
  readonly promise: Promise<PromiseSettledResult<number>[]>;
  readonly #results: PromiseSettledResult<number>[];
  #remaining: number;
  #resolve!: (results: PromiseSettledResult<number>[]) => void;

  constructor(size: number) {
    this.#results = new Array(size);
    this.#remaining = size;
    this.promise = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    if (size === 0) this.#resolve(this.#results);
  }

  fulfil(index: number, id: number): void {
    this.#results[index] = { status: "fulfilled", value: id };
    this.#settled();
  }

  fail(index: number, error: Error): void {
    this.#results[index] = { status: "rejected", reason: error };
    this.#settled();
  }

  #settled(): void {
    if (--this.#remaining === 0) this.#resolve(this.#results);
  }
}
