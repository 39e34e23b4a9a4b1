/** Calling the bench bundle's in-page helpers (bench/page-entry.ts) from Node, for the bench mains. */
import type { openBuiltPage } from "../tests/support/page";
import type { GradscopeBench } from "./page-entry";

export type Page = Awaited<ReturnType<typeof openBuiltPage>>["page"];
export type Outcome<T> = { ok: T } | { error: string };
type Helper = keyof GradscopeBench;

/** Calls one of the bench bundle's helpers in the page; a rejection comes back as "Name: message". */
export function callBench<K extends Helper>(
  page: Page,
  name: K,
  ...args: Parameters<GradscopeBench[K]>
): Promise<Outcome<Awaited<ReturnType<GradscopeBench[K]>>>> {
  return page.evaluate(
    async ([helper, helperArgs]) => {
      try {
        const helpers = (window as unknown as { gradscopeBench: Record<string, (...a: unknown[]) => unknown> })
          .gradscopeBench;
        return { ok: await (helpers[helper] as (...a: unknown[]) => Promise<unknown>)(...helperArgs) };
      } catch (error) {
        const e = error as Error;
        return { error: `${e.name}: ${e.message}` };
      }
    },
    [name, args as unknown[]] as const,
  ) as Promise<Outcome<Awaited<ReturnType<GradscopeBench[K]>>>>;
}

/** The figure to hold up: whatever came back, or the error thrown. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if ("error" in outcome) throw new Error(outcome.error);
  return outcome.ok;
}
