// The header's status badge, from GET /readyz: status, queue depth/capacity, time since the last
// commit, and a missing disk reserve. Screen readers hear only changes of state, through `live`
// (the badge's own text changes at every poll).
import { getJson, HttpError, type Readiness } from "./api";
import { compact, formatAgo } from "./format";

export function startReadinessBadge(badge: HTMLButtonElement, live: HTMLElement, intervalMs: number): void {
  const text = badge.querySelector<HTMLElement>(".status-text")!;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let announced = badge.dataset.state;
  const announceChange = () => {
    if (badge.dataset.state === announced) return;
    // the first answer is no news
    if (announced !== "unknown" || badge.dataset.state !== "ok")
      live.textContent = `Server: ${text.textContent}`;
    announced = badge.dataset.state;
  };
  async function poll() {
    if (timer) clearTimeout(timer);
    try {
      const r = await getJson<Readiness>("/readyz", undefined, { okStatuses: [503] });
      const status = String(r?.status ?? "unknown");
      badge.dataset.state = status === "ok" ? "ok" : status === "degraded" ? "degraded" : "down";
      const parts = [status];
      if (r?.queue && r.queue.capacity != null)
        parts.push(`queue ${compact(Number(r.queue.depth ?? 0))}/${compact(Number(r.queue.capacity))}`);
      if (r?.lastCommitAt != null) {
        const t = typeof r.lastCommitAt === "number" ? r.lastCommitAt : Date.parse(r.lastCommitAt);
        if (!Number.isNaN(t)) parts.push(`commit ${formatAgo(t)}`);
      }
      // not a readiness failure, but a full disk would then stop writes until space is freed
      if (r?.diskReserve === "missing") parts.push("no disk reserve");
      text.textContent = parts.join(" · ");
      badge.title = `Server readiness (/readyz) — click to refresh\n${JSON.stringify(r, null, 2)}`;
    } catch (err) {
      const auth = err instanceof HttpError && err.status === 401;
      badge.dataset.state = auth ? "unknown" : "down";
      text.textContent = auth ? "sign-in required" : "unreachable";
    } finally {
      announceChange();
      timer = setTimeout(poll, intervalMs);
    }
  }
  badge.addEventListener("click", () => void poll());
  void poll();
}
