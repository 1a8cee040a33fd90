// Preloaded (node --import) into shard processes of the local executor: when the runner dies
// (kill -9 included), its shards die too instead of racing the next run on the same parts.
if (process.env.MEMSIEVE_EXIT_WITH_PARENT === '1') {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
  }, 250).unref();
}
export {};
