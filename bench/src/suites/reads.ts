import { emptyOutput, type Suite } from "../suite.js";

export const reads: Suite = {
  name: "reads",
  title: "reads",
  async run() {
    return { ...emptyOutput(), skipped: "not written yet" };
  },
};
