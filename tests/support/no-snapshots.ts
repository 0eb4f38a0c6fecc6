/** The snapshot port of a RaftNode under test that never ships or receives a snapshot: any use is a test bug. */
export const noSnapshots = {
  open: (): never => {
    throw new Error("this test never ships a snapshot");
  },
  stage: (): never => {
    throw new Error("this test never receives a snapshot");
  },
  install: () => {},
  send: async () => null,
};
