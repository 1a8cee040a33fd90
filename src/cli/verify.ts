import type { Command } from 'commander';

// placeholder until this command lands
export function register(_program: Command): void {}
