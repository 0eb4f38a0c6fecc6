/** The cluster panel: each replica's role, term and log position, how long the cluster has had no leader, and the failovers seen. */
import type { ClusterView, ReplicaView } from "../protocol.ts";
import { byId, h, reconcile } from "./dom.ts";
import { formatClock, seconds } from "./format.ts";

export function showCluster(view: ClusterView | null): void {
  const summary = byId("cluster-summary", HTMLParagraphElement);
  const rows = byId("cluster-replicas", HTMLTableSectionElement);
  const failovers = byId("failovers", HTMLOListElement);
  const none = byId("failovers-none", HTMLParagraphElement);
  const note = byId("cluster-note", HTMLParagraphElement);
  if (!view) {
    summary.textContent = "Waiting for the gateway's first look at the cluster…";
    return;
  }
  summary.replaceChildren(summaryText(view));
  summary.classList.toggle("leaderless", view.leader === null);
  rows.replaceChildren(...view.replicas.map((replica) => replicaRow(replica)));
  reconcile(
    failovers,
    view.failovers,
    (failover) => String(failover.atMs),
    (failover) => {
      const measured = failover.leaderlessMs === 0 ? `under ${view.pollMs} ms` : `${seconds(failover.leaderlessMs)}`;
      const from = failover.fromId === null ? "" : `from replica ${failover.fromId} `;
      return h("li", {}, `${formatClock(failover.atMs)}: leader moved ${from}to replica ${failover.toId} (term ${failover.term}); no leader for ${measured}.`);
    },
  );
  none.hidden = view.failovers.length > 0;
  const source =
    view.source === "admin"
      ? `Log positions from the leader's admin status; checked every ${view.pollMs} ms.`
      : `Roles and terms from GetLeaderInfo (log positions need the cluster secret); checked every ${view.pollMs} ms.`;
  note.textContent = view.note ? `${view.note} ${source}` : source;
}

function summaryText(view: ClusterView): string {
  if (!view.leader) {
    const since = view.leaderlessForMs === null ? "" : ` for ${seconds(view.leaderlessForMs)}`;
    return `No leader${since}: writes wait until one is elected.`;
  }
  const commit = view.commitIndex === null ? "" : `, commit index ${view.commitIndex}`;
  return `Leader: replica ${view.leader.id} at ${view.leader.address}, term ${view.leader.term}${commit}.`;
}

function replicaRow(replica: ReplicaView): HTMLTableRowElement {
  const number = (value: number | null) => h("td", { class: "number" }, value === null ? "—" : String(value));
  return h(
    "tr",
    { "data-role": replica.role },
    h("th", { scope: "row" }, replica.id === null ? "?" : String(replica.id)),
    h("td", {}, replica.address),
    h("td", {}, replica.role),
    number(replica.term),
    number(replica.matchIndex),
    number(replica.behind),
  );
}
