/**
 * The page's URL as the history of configs that ran: a change is written once its run completes, so
 * a config refused for capacity never enters the URL or the history. A settled change adds an entry;
 * the moves of one slider drag share one entry, replaced as the drag goes on.
 */
import type { RunConfig } from "../core/config";
import { configToSearch } from "../core/settings";

export class UrlHistory {
  /** Id of the current interaction: one settled change, or one drag from its first move to its release. */
  private gesture = 0;
  /** The interaction whose history entry exists (pushed once, then replaced). */
  private written = 0;
  private dragging = false;
  private pending: { key: string; search: string; gesture: number } | null = null;

  /** A config was asked for: `commit` false while a slider is dragged, true when the value settles. */
  request(config: RunConfig, commit: boolean): void {
    if (!this.dragging) this.gesture++;
    this.dragging = !commit;
    this.pending = { key: JSON.stringify(config), search: configToSearch(config), gesture: this.gesture };
  }

  /** The run of `config` completed: its URL becomes the page's, if it is the config last asked for. */
  ran(config: RunConfig): void {
    const pending = this.pending;
    if (!pending || pending.key !== JSON.stringify(config)) return;
    if (!this.dragging) this.pending = null;
    const url = `${location.pathname}${pending.search}${location.hash}`;
    if (url === `${location.pathname}${location.search}${location.hash}`) return;
    if (this.written !== pending.gesture) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
    this.written = pending.gesture;
  }

  /** The value settled without changing the config (a slider's release after its last move). */
  settled(): void {
    this.dragging = false;
  }

  /** The config was refused (it does not fit): the URL keeps the last config that ran. */
  refused(config: RunConfig): void {
    if (this.pending?.key === JSON.stringify(config)) this.pending = null;
  }

  /** The URL changed under the page (back, forward): nothing waits to be written. */
  forget(): void {
    this.pending = null;
    this.dragging = false;
  }
}
