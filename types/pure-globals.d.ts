/**
 * The Web standard globals the pure ring may use (tsconfig.pure.json): text decoding, URL
 * parsing and random ids. Nothing here opens a socket, a file or a database.
 */
declare class URL {
  constructor(url: string, base?: string);
  protocol: string;
  host: string;
  hostname: string;
  username: string;
  password: string;
  pathname: string;
  search: string;
  hash: string;
  href: string;
  readonly searchParams: {
    keys(): IterableIterator<string>;
    forEach(fn: (value: string, key: string) => void): void;
    set(key: string, value: string): void;
  };
  toString(): string;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBuffer | ArrayBufferView): string;
}
declare const crypto: { randomUUID(): string };
