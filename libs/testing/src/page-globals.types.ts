// The few browser globals the tests use inside page.evaluate(), typed here because the project compiles without the
// DOM library (the server code must not see `window`). In a page function: `const w = globalThis as unknown as PageWindow`.

export interface PageElement {
  readonly parentElement: PageElement | null;
  readonly innerText: string;
  readonly scrollHeight: number;
  readonly clientHeight: number;
  readonly scrollWidth: number;
  scrollTop: number;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
  closest(selector: string): PageElement | null;
  getBoundingClientRect(): { top: number; bottom: number; height: number; width: number };
}

export interface PageWindow {
  readonly document: {
    readonly activeElement: PageElement | null;
    readonly documentElement: PageElement;
    readonly body: PageElement;
    readonly scrollingElement: PageElement | null;
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
  };
  readonly innerWidth: number;
  readonly innerHeight: number;
  readonly location: { readonly hash: string; readonly href: string };
  readonly sessionStorage: { readonly length: number; setItem(key: string, value: string): void; getItem(key: string): string | null };
  readonly performance: { now(): number };
  getComputedStyle(element: PageElement): { readonly overflowY: string };
  requestAnimationFrame(callback: (time: number) => void): number;
}
