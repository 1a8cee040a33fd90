// Preloaded (node --import) into shard processes of the local executor: when the runner dies
// (kill -9 included), its shards die too instead of racing the next run on the same parts.
// The runner passes its PID: a shard started just as the runner died must not adopt init as parent.
const runner = Number(process.env.MEMSIEVE_EXIT_WITH_PARENT);
if (runner > 0) {
  const check = () => {
    if (process.ppid !== runner) process.kill(process.pid, 'SIGKILL');
  };
  check();
  setInterval(check, 250).unref();
}
export {};
