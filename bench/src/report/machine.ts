import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  platform: string;
  loadAverageAtStart: number[];
  gitCommit: string | null;
  gitDirty: boolean | null;
}

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export function describeMachine(): MachineInfo {
  const status = git(["status", "--porcelain", "--", "."]);
  return {
    cpuModel: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    gitCommit: git(["rev-parse", "HEAD"]),
    gitDirty: status === null ? null : status.length > 0,
  };
}
