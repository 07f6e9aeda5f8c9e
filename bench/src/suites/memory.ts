import { emptyOutput, type Suite } from "../suite.js";

export const memory: Suite = {
  name: "memory",
  title: "memory",
  async run() {
    return { ...emptyOutput(), skipped: "not written yet" };
  },
};
