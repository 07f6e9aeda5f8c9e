import type { BucketQuery, CommittedAfterQuery, ContextQuery, SearchQuery } from "../types.js";

export interface ReaderInit {
  path: string;
  pragmas: string[];
  fullText: boolean;
  skippedCountWindow: number;
}

export type ReaderRequest =
  | { op: "search"; query: SearchQuery }
  | { op: "getRecent"; limit: number }
  | { op: "countByBucket"; query: BucketQuery }
  | { op: "committedAfter"; query: CommittedAfterQuery }
  | { op: "context"; query: ContextQuery }
  | { op: "cutoffToKeep"; keep: number }
  | { op: "footprint" }
  | { op: "close" };
