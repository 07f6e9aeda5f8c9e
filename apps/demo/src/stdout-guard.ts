// The server's own logs go to stdout. When whatever reads it goes away (a log shipper that died,
// `| head`), writes fail with EPIPE: unhandled, that error ended the process in a hung exit
// (measured: stuck in a futex wait, deaf to SIGTERM). Log lines are dropped instead, said once on
// stderr, and the server keeps serving.

const GONE = new Set(["EPIPE", "ERR_STREAM_DESTROYED"]);
let guarded = false;

export function guardStdout(stdout: NodeJS.WriteStream = process.stdout): void {
  if (guarded) return;
  guarded = true;
  let reported = false;
  stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (!GONE.has(error.code ?? "")) throw error;
    if (reported) return;
    reported = true;
    process.stderr.write(
      `batchlog: stdout was closed (${error.code}): the server keeps running; its own log lines are dropped from now on\n`,
    );
  });
}
