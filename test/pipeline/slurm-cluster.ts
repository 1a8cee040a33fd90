// A real single-node Slurm cluster for tests (Debian's slurm-wlm + munge): daemons run in the
// foreground as children of this process and are stopped by PID. Needs root; state under /tmp/slurm-test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { join } from 'node:path';

const CONF_DIR = join(import.meta.dirname, 'slurm');
export const SLURM_STATE = '/tmp/slurm-test';
const DAEMONS = { munged: '/usr/sbin/munged', slurmctld: '/usr/sbin/slurmctld', slurmd: '/usr/sbin/slurmd' };

/** The Debian packages of the test cluster that this machine lacks (daemons by path, the client on PATH). */
export function slurmMissingPackages(): Array<'slurm-wlm' | 'munge'> {
  const slurm = existsSync(DAEMONS.slurmctld) && existsSync(DAEMONS.slurmd) && spawnSync('sh', ['-c', 'command -v sbatch']).status === 0;
  return [...(slurm ? [] : ['slurm-wlm' as const]), ...(existsSync(DAEMONS.munged) ? [] : ['munge' as const])];
}

/** Why this machine cannot host the test cluster, or null when it can. */
export function slurmUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (the daemons and /etc/slurm need it)';
  const missing = slurmMissingPackages();
  if (missing.length > 0) return `${missing.join(', ')} missing: apt-get install ${missing.join(' ')} (or npm run test:slurm)`;
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(what: string, seconds: number, test: () => boolean): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`slurm test cluster: timed out waiting for ${what}`);
    await sleep(200);
  }
}

export interface SlurmCluster {
  /** logs of the daemons, for failure messages */
  logs(): string;
  stop(): Promise<void>;
}

/** slurm.conf with this machine's short host name, CPUs and memory. */
function configure(): void {
  const host = (spawnSync('hostname', ['-s'], { encoding: 'utf8' }).stdout || hostname()).trim();
  const memoryMb = Math.floor((totalmem() / 2 ** 20) * 0.8);
  const slurm = readFileSync(join(CONF_DIR, 'slurm.conf'), 'utf8')
    .replace(/\bvm\b/g, host)
    .replace(/CPUs=\d+/, `CPUs=${cpus().length}`)
    .replace(/RealMemory=\d+/, `RealMemory=${Math.min(2000, memoryMb)}`);
  const gres = readFileSync(join(CONF_DIR, 'gres.conf'), 'utf8').replace(/\bvm\b/g, host);
  mkdirSync('/etc/slurm', { recursive: true });
  writeFileSync('/etc/slurm/slurm.conf', slurm);
  writeFileSync('/etc/slurm/gres.conf', gres);
  for (const sub of ['state', 'spool']) rmSync(join(SLURM_STATE, sub), { recursive: true, force: true });
  for (const sub of ['state', 'spool', 'log']) mkdirSync(join(SLURM_STATE, sub), { recursive: true });
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`slurm test cluster: no user ${name}`);
  return { uid, gid };
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  configure();
  const children: ChildProcess[] = [];
  const logFile = join(SLURM_STATE, 'log', 'daemons.log');
  writeFileSync(logFile, '');
  const start = (path: string, args: string[], ids?: { uid: number; gid: number }) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], ...ids });
    const append = (d: Buffer) => writeFileSync(logFile, `[${path}] ${d}`, { flag: 'a' });
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    children.push(child);
    return child;
  };
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  try {
    const munge = userIds('munge');
    mkdirSync('/run/munge', { recursive: true });
    spawnSync('chown', ['munge:munge', '/run/munge']);
    if (!existsSync('/etc/munge/munge.key')) spawnSync('/usr/sbin/mungekey', ['--create'], { uid: munge.uid, gid: munge.gid });
    start(DAEMONS.munged, ['-F'], munge);
    // not pgrep: exited daemons linger as zombies and would match
    await until('munged', 15, () => spawnSync('munge', ['-n']).status === 0);
    start(DAEMONS.slurmctld, ['-D', '-i']);
    start(DAEMONS.slurmd, ['-D']);
    await until('the node to be idle', 60, () => spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8' }).stdout.trim() === 'idle');
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
  }
  return { logs: () => readFileSync(logFile, 'utf8'), stop };
}
