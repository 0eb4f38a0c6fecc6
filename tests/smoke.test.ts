import { expect, test } from "bun:test";
import { startTestReplica, userClient } from "./support/replica.ts";

test("smoke", async () => {
  const t = await startTestReplica();
  try {
    const alice = await userClient(t, "alice");
    const bob = await userClient(t, "bob");
    const sent = await alice.sendMessage("bob", "hi bob");
    console.log(sent);
    const read = await bob.readNewMessages(10);
    console.log(JSON.stringify(read));
    console.log(await bob.listAccounts("*"));
    console.log(await bob.getLeaderInfo());
  } finally {
    await t.destroy();
  }
});
