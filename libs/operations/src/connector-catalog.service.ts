import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { parse } from 'yaml';
import { ConnectorException, parseConnectorConfig, secretNames, type ConnectorDefinition } from '@vigil/connector';
import { hasSink, SINK_SPECS } from '@vigil/sinks';
import { OperationsErrorCode, OperationsException } from './operations.exception';
import { OPERATIONS_OPTIONS, type OperationsOptions } from './operations.types';

/** The connectors of the connectors file, as the connector apps read them. */
@Injectable()
export class ConnectorCatalog {
  constructor(@Inject(OPERATIONS_OPTIONS) private readonly options: OperationsOptions) {}

  get source(): string {
    return this.options.connectorsFile;
  }

  /** Every connector of the file with its common settings (type blocks unchecked: listing needs no secrets). */
  list(): ConnectorDefinition[] {
    try {
      const connectors = parseConnectorConfig(this.text(), { env: {}, specs: [], source: this.source });
      // Without the type's spec the parser cannot know its default format.
      return connectors.map((c) => {
        const spec = SINK_SPECS.find((s) => s.type === c.type);
        return spec === undefined || spec.formats.includes(c.format) ? c : { ...c, format: spec.defaultFormat };
      });
    } catch (err) {
      return this.invalid(err);
    }
  }

  /** The named connectors (all without a name); fails naming those the file has when the name is unknown. */
  pick(name: string | undefined): ConnectorDefinition[] {
    const all = this.list();
    if (name === undefined) return all;
    const found = all.filter((c) => c.name === name);
    if (found.length === 0) throw this.notFound(name, all, '');
    return found;
  }

  /**
   * One connector, validated in full as its app validates it (settings, format, secrets from the environment). Only
   * its own secrets must be set: the other connectors of the file are not this command's business.
   */
  load(name: string): ConnectorDefinition {
    const all = this.list();
    const found = all.find((c) => c.name === name);
    if (found === undefined) throw this.notFound(name, all, '; see `vigil connectors list`');
    if (!hasSink(found.type))
      throw new OperationsException(
        OperationsErrorCode.CONNECTOR_UNSUPPORTED,
        `connector ${name} is of type ${found.type}, which this version cannot send to yet`,
      );
    const raw = (parse(this.text()) as { connectors: { name?: unknown }[] }).connectors.find((c) => c.name === name);
    try {
      const [definition] = parseConnectorConfig(JSON.stringify({ connectors: [raw] }), {
        env: this.options.secrets(secretNames(raw)),
        specs: SINK_SPECS,
        source: this.source,
      });
      if (definition === undefined) throw this.notFound(name, all, '');
      return definition;
    } catch (err) {
      return this.invalid(err);
    }
  }

  private text(): string {
    try {
      return readFileSync(this.source, 'utf8');
    } catch (err) {
      throw new OperationsException(
        OperationsErrorCode.CONNECTORS_FILE_UNREADABLE,
        `cannot read the connectors file ${this.source} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set VIGIL_CONFIG to its path`,
      );
    }
  }

  private notFound(name: string, all: readonly ConnectorDefinition[], hint: string): OperationsException {
    return new OperationsException(
      OperationsErrorCode.CONNECTOR_NOT_FOUND,
      `no connector named "${name}" in ${this.source} (it has: ${all.map((c) => c.name).join(', ') || 'none'})${hint}`,
    );
  }

  private invalid(err: unknown): never {
    if (err instanceof ConnectorException)
      throw new OperationsException(
        OperationsErrorCode.CONNECTORS_FILE_INVALID,
        `${err.message}\nfix ${this.source} and run the command again`,
      );
    throw err;
  }
}
