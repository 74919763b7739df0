import { Command } from 'commander';
import { maskSecrets } from '../../config';
import type { CliContext } from '../context';
import { printJson, progress } from '../output';

export function configCommand(ctx: CliContext): Command {
  const cmd = new Command('config').description('inspect the configuration');
  cmd
    .command('check')
    .description('validate the configuration and print the effective values, secrets masked')
    .action(() => {
      const config = ctx.config();
      progress(`configuration is valid (from: ${ctx.configSources().join(', ')})`);
      printJson(maskSecrets(config));
    });
  return cmd;
}
