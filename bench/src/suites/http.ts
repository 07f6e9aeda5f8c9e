import { emptyOutput, type Suite } from "../suite.js";

export const http: Suite = {
  name: "http",
  title: "http",
  async run() {
    return { ...emptyOutput(), skipped: "not written yet" };
  },
};
