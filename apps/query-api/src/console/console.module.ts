import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';

/** Where `npm run build` writes the console: dist/console, beside this file's dist/apps/query-api/src/console. */
export function defaultConsoleDir(): string {
  return path.resolve(__dirname, '..', '..', '..', '..', 'console');
}

/**
 * The console's response headers. The page talks only to its own origin (GraphQL, the export, the live tail's
 * WebSocket), loads nothing from elsewhere and runs no inline script, so the policy allows nothing more;
 * `frameAncestors` says which sites may embed it (a vendor showing its customers their own log with a viewer token).
 */
export function consoleHeaders(frameAncestors: string): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      `frame-ancestors ${frameAncestors}`,
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
}

/**
 * Serves the audit console (apps/console, built by Vite) at /console: static files, no credential needed (the page
 * holds no data; every call it makes is authenticated like any other API client's), index.html for every other path
 * under /console so the console's own addresses can be opened and shared. Hashed assets are cached for a year,
 * index.html never, so a deploy is picked up on the next load.
 */
@Module({})
export class ConsoleModule {
  static forRoot(options: { enabled: boolean; dir: string | undefined; frameAncestors: string }): DynamicModule {
    const dir = options.dir ?? defaultConsoleDir();
    const logger = new Logger('ConsoleModule');
    if (!options.enabled) return { module: ConsoleModule };
    if (!existsSync(path.join(dir, 'index.html'))) {
      logger.warn(`the console is not built (${dir}/index.html is missing): run npm run build; /console is not served`);
      return { module: ConsoleModule };
    }
    const headers = consoleHeaders(options.frameAncestors);
    return {
      module: ConsoleModule,
      imports: [
        ServeStaticModule.forRoot({
          rootPath: dir,
          serveRoot: '/console',
          serveStaticOptions: {
            index: false,
            fallthrough: true,
            setHeaders: (res: ServerResponse, filePath: string) => {
              for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
              const immutable = filePath.includes(`${path.sep}assets${path.sep}`);
              res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
            },
          },
        }),
      ],
    };
  }
}
