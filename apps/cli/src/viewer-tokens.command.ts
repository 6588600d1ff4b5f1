import { Command, InvalidArgumentError } from 'commander';
import { defineConfig, loadConfig } from '@vigil/config';
import {
  VIEWER_TOKEN_DEFAULT_TTL_SECONDS,
  viewerGrantProblems,
  ViewerTokenCodec,
  viewerTokenEnv,
  type ViewerRestriction,
} from '@vigil/store';
import { CliError, printTable, type Output } from './cli.util';

const viewerTokensConfigSchema = defineConfig({ ...viewerTokenEnv });

const OPTION_OF = { tenantId: '--tenant', actorId: '--actor', targetType: '--target-type', targetId: '--target-id', ttlSeconds: '--ttl' };

function seconds(value: string): number {
  if (!/^\d{1,6}$/.test(value)) throw new InvalidArgumentError('a whole number of seconds');
  return Number(value);
}

interface CreateOptions {
  tenant: string;
  actor?: string;
  targetType?: string;
  targetId?: string;
  ttl?: number;
}

/**
 * `vigil viewer-tokens create`: mints a viewer token offline with QUERY_API_VIEWER_TOKEN_SECRET (the query API's
 * list; the first secret signs), as the API's createViewerToken does, for scripts and support. Needs no database.
 */
export function viewerTokensCommand(out: Output): Command {
  const tokens = new Command('viewer-tokens').description(
    'viewer tokens for the embedded console (docs/query-api.md "Viewer tokens"), signed with QUERY_API_VIEWER_TOKEN_SECRET',
  );
  tokens
    .command('create')
    .description('mint a read-only viewer token for a tenant (optionally one actor and/or one target); printed once')
    .requiredOption('--tenant <id>', 'the tenant whose events the token reads')
    .option('--actor <id>', 'only this actor’s events')
    .option('--target-type <type>', 'only events with this target (with --target-id)')
    .option('--target-id <id>', 'only events with this target (with --target-type)')
    .option(
      '--ttl <seconds>',
      `lifetime: default ${VIEWER_TOKEN_DEFAULT_TTL_SECONDS}, 60 to QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS`,
      seconds,
    )
    .action(async (options: CreateOptions) => {
      const config = loadConfig(viewerTokensConfigSchema);
      const secrets = config.QUERY_API_VIEWER_TOKEN_SECRET;
      if (!secrets) throw new CliError('viewer tokens are not configured: set QUERY_API_VIEWER_TOKEN_SECRET to the query API’s');
      const maxTtl = config.QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS;
      const ttl = options.ttl ?? Math.min(VIEWER_TOKEN_DEFAULT_TTL_SECONDS, maxTtl);
      const fields = { tenantId: options.tenant, actorId: options.actor, targetType: options.targetType, targetId: options.targetId };
      const problems = viewerGrantProblems(fields, ttl, maxTtl);
      if (problems.length > 0) throw new CliError(problems.map((p) => `${OPTION_OF[p.field]}: ${p.message}`).join('; '));
      const restriction: ViewerRestriction = {
        ...(options.actor !== undefined ? { actorId: options.actor } : {}),
        ...(options.targetType !== undefined && options.targetId !== undefined
          ? { target: { type: options.targetType, id: options.targetId } }
          : {}),
      };
      const { token, claims } = await new ViewerTokenCodec(secrets, maxTtl).sign(
        { tenantId: options.tenant, restriction },
        ttl,
        new Date(),
      );
      const row = {
        tenant: claims.tenantId,
        actor: restriction.actorId ?? null,
        target: restriction.target ? `${restriction.target.type}/${restriction.target.id}` : null,
        jti: claims.jti,
        expires: claims.expiresAt.toISOString(),
      };
      if (out.json) {
        process.stdout.write(`${JSON.stringify({ token, ...row }, null, 2)}\n`);
        return;
      }
      printTable(out, [row]);
      process.stdout.write(`\nviewer token (shown once): ${token}\nuse it as: Authorization: Bearer <token>\n`);
    });
  return tokens;
}
