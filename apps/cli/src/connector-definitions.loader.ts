import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConnectorException, parseConnectorConfig, type ConnectorDefinition } from '@vigil/connector';
import { hasSink, SINK_SPECS } from '@vigil/sinks';
import type { CliConfig } from './cli.config';
import { CliError } from './cli.util';

function readConfigText(config: CliConfig): string {
  try {
    return readFileSync(config.VIGIL_CONFIG, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read the connectors file ${config.VIGIL_CONFIG} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set VIGIL_CONFIG to its path`,
    );
  }
}

function invalid(err: unknown, path: string): never {
  if (err instanceof ConnectorException) throw new CliError(`${err.message}\nfix ${path} and run the command again`, 2);
  throw err;
}

/** Every connector of the file with its common settings (type blocks unchecked: listing needs no secrets). */
export function listConnectors(config: CliConfig): ConnectorDefinition[] {
  try {
    const connectors = parseConnectorConfig(readConfigText(config), { env: {}, specs: [], source: config.VIGIL_CONFIG });
    // Without the type's spec the parser cannot know its default format.
    return connectors.map((c) => {
      const spec = SINK_SPECS.find((s) => s.type === c.type);
      return spec === undefined || spec.formats.includes(c.format) ? c : { ...c, format: spec.defaultFormat };
    });
  } catch (err) {
    return invalid(err, config.VIGIL_CONFIG);
  }
}

/**
 * One connector, validated in full as its app validates it (settings, format, secrets from the environment). Only
 * its own secrets must be set: the other connectors of the file are not this command's business.
 */
export function loadConnector(config: CliConfig, name: string): ConnectorDefinition {
  const all = listConnectors(config);
  const found = all.find((c) => c.name === name);
  if (found === undefined)
    throw new CliError(
      `no connector named "${name}" in ${config.VIGIL_CONFIG} (it has: ${all.map((c) => c.name).join(', ') || 'none'}); see \`vigil connectors list\``,
    );
  if (!hasSink(found.type)) throw new CliError(`connector ${name} is of type ${found.type}, which this version cannot send to yet`);
  const raw = (parse(readConfigText(config)) as { connectors: { name?: unknown }[] }).connectors.find((c) => c.name === name);
  try {
    const [definition] = parseConnectorConfig(JSON.stringify({ connectors: [raw] }), {
      env: process.env,
      specs: SINK_SPECS,
      source: config.VIGIL_CONFIG,
    });
    if (definition === undefined) throw new CliError(`connector ${name} could not be read from ${config.VIGIL_CONFIG}`);
    return definition;
  } catch (err) {
    return invalid(err, config.VIGIL_CONFIG);
  }
}
